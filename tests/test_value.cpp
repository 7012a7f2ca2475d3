// Value as a PyTorch user reads a loaded object: printed as Python's repr, iterated as
// dict.items(), indexed with [], and with errors that name the path to the entry.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "ember/serialize/serialize.h"
#include "ember/tensor/factories.h"
#include "tests/test_serialize_helpers.h"

using namespace ember;

namespace {

// The tutorial's checkpoint, with an optimizer state_dict as SGD writes it.
Value tutorial_checkpoint() {
  Value group{{"lr", 0.001}, {"momentum", 0.9}, {"params", Value::list({0, 1})}};
  Value optimizer{{"state", Value::dict()}, {"param_groups", Value::list({group})}};
  Value model = Value::ordered_dict();
  model.set("fc1.weight", zeros({120, 400}));
  model.set("fc1.bias", zeros({120}));
  return Value{{"epoch", 5},
               {"model_state_dict", model},
               {"optimizer_state_dict", optimizer},
               {"loss", full({}, 0.4375)}};
}

}  // namespace

TEST_CASE("Value: python_repr of a loaded checkpoint is what Python's repr prints") {
  // repr(torch.load("tests/fixtures/serialize/checkpoint.pt")) in PyTorch 1.13, Python 3.11.
  const std::string python = R"py({'epoch': 5, 'model_state_dict': OrderedDict([('conv1.weight', tensor([[[[-0.0017,  0.1754, -0.2801],
          [-0.2291, -0.1502,  0.0922],
          [ 0.0353,  0.2632, -0.0471]]],


        [[[ 0.0532, -0.0646, -0.0974],
          [-0.3607, -0.1925, -0.1120],
          [-0.0296,  0.1399,  0.2018]]]])), ('conv1.bias', tensor([-0.2260, -0.1452])), ('bn.weight', tensor([0.9780, 1.0136])), ('bn.bias', tensor([-0.0179,  0.0286])), ('bn.running_mean', tensor([-0.0539, -0.0279])), ('bn.running_var', tensor([0.9646, 0.9262])), ('bn.num_batches_tracked', tensor(1)), ('fc1.weight', tensor([[ 0.1365,  0.2865, -0.0536,  0.2444, -0.0503,  0.0353,  0.3292, -0.3417],
        [-0.2145, -0.0966, -0.1186,  0.2853, -0.2225, -0.1648, -0.2379, -0.3448],
        [-0.1983,  0.2968,  0.1769,  0.1512,  0.0253, -0.1833,  0.0689, -0.3438]])), ('fc1.bias', tensor([-0.2755, -0.2023,  0.2031]))]), 'optimizer_state_dict': {'state': {0: {'momentum_buffer': tensor([[[[-0.0813,  0.3382,  0.5751],
          [-1.6209,  2.1805, -0.2812],
          [-4.1897,  0.1088,  1.7530]]],


        [[[ 3.4972, -3.6179,  3.1843],
          [ 4.2270, -2.8251, -2.5387],
          [ 4.1974, -0.8091, -0.1798]]]])}, 1: {'momentum_buffer': tensor([1.4901e-08, 2.3842e-07])}, 2: {'momentum_buffer': tensor([ 2.1998, -1.3629])}, 3: {'momentum_buffer': tensor([ 1.7921, -2.8609])}, 4: {'momentum_buffer': tensor([[-0.8088,  0.7133, -1.9184,  2.0138, -0.6661,  0.2062, -0.9115,  1.3715],
        [-0.8088,  0.7133, -1.9184,  2.0138, -0.6661,  0.2062, -0.9115,  1.3715],
        [-0.8088,  0.7133, -1.9184,  2.0138, -0.6661,  0.2062, -0.9115,  1.3715]])}, 5: {'momentum_buffer': tensor([2., 2., 2.])}}, 'param_groups': [{'lr': 0.01, 'momentum': 0.9, 'dampening': 0, 'weight_decay': 0, 'nesterov': False, 'maximize': False, 'foreach': None, 'differentiable': False, 'params': [0, 1, 2, 3, 4, 5]}]}, 'loss': 0.4375, 'nested': [1, -2, 300, 70000, -1099511627776, 4611686018427387904, (None, True, False, 's'), {3: 'int key', 'x': [1.5, inf]}], 'empty': {}})py";
  CHECK(python_repr(load(test::fixture("checkpoint.pt"))) == python);
}

TEST_CASE("Value: python_repr spells scalars, strings and containers as Python does") {
  // Each golden is Python's repr of the same object.
  CHECK(python_repr(Value()) == "None");
  CHECK(python_repr(Value::tuple({true, false, Value()})) == "(True, False, None)");
  CHECK(python_repr(Value::tuple({1})) == "(1,)");
  CHECK(python_repr(Value::tuple()) == "()");
  CHECK(python_repr(Value::list({0.001, 1e-08, 1.5e16, 1.0 / 3, 2.5, -0.0})) ==
        "[0.001, 1e-08, 1.5e+16, 0.3333333333333333, 2.5, -0.0]");
  CHECK(python_repr(Value::dict_from({std::int64_t{0}, std::int64_t{1}}, {Value::list({1, 2}), Value::list()})) ==
        "{0: [1, 2], 1: []}");
  CHECK(python_repr("it's") == R"("it's")");
  CHECK(python_repr("say \"hi\"\n") == R"('say "hi"\n')");
  CHECK(python_repr("a'b\"c") == R"('a\'b"c')");
  CHECK(python_repr("\x01\x7f\t\r\\") == R"('\x01\x7f\t\r\\')");
  CHECK(python_repr("caf\u00e9\u00a0\u00ad\u0085") == "'caf\u00e9\\xa0\\xad\\x85'");

  Value od = Value::ordered_dict();
  od.set("a", 1);
  od.set("b", Value::list({1.0, 2.5}));
  CHECK(python_repr(od) == "OrderedDict([('a', 1), ('b', [1.0, 2.5])])");
  CHECK(python_repr(Value::ordered_dict()) == "OrderedDict()");
  CHECK(python_repr(Value{{"it's", 1}}) == R"({"it's": 1})");
}

TEST_CASE("Value: << prints python_repr with tensors summarised as PyTorch's meta tensors") {
  // A 0-d tensor prints in full (repr(torch.tensor(0.4375))); any other as PyTorch prints a
  // tensor without data, repr(torch.empty(120, 400, device="meta")) less the device.
  CHECK(str(tutorial_checkpoint()) ==
        "{'epoch': 5, 'model_state_dict': OrderedDict([('fc1.weight', tensor(..., size=(120, 400))), "
        "('fc1.bias', tensor(..., size=(120,)))]), 'optimizer_state_dict': {'state': {}, "
        "'param_groups': [{'lr': 0.001, 'momentum': 0.9, 'params': [0, 1]}]}, 'loss': tensor(0.4375)}");
  CHECK(str(Value::list({zeros({3}, kInt64), zeros({2, 2}, kFloat64), zeros({}, kInt64)})) ==
        "[tensor(..., size=(3,), dtype=torch.int64), tensor(..., size=(2, 2), dtype=torch.float64), "
        "tensor(0)]");
  CHECK(str(Value("x")) == "'x'");
}

TEST_CASE("Value: range-for yields (key, value) pairs of a dict and (index, item) of a list") {
  const Value checkpoint = tutorial_checkpoint();
  std::vector<std::string> keys;
  for (const auto& [key, value] : checkpoint) keys.push_back(key_str(key) + ":" + value.kind_name());
  CHECK(keys == std::vector<std::string>{"'epoch':int", "'model_state_dict':dict",
                                         "'optimizer_state_dict':dict", "'loss':tensor"});

  std::vector<std::string> items;
  for (const auto& [index, item] : Value::tuple({"a", 2.5})) {
    items.push_back(key_str(index) + ":" + python_repr(item));
  }
  CHECK(items == std::vector<std::string>{"0:'a'", "1:2.5"});

  int count = 0;
  for (const auto& entry : Value::dict()) count += entry.second.is_none() ? 1 : 2;
  CHECK(count == 0);
  CHECK_THROWS_WITH_AS([&] { for (const auto& entry : checkpoint["epoch"]) (void)entry; }(),
                       "Value[\"epoch\"]: expected a list, tuple or dict to iterate over, found int",
                       Error);
}

TEST_CASE("Value: [] reads a dict by key and a list by index, as Python's subscript") {
  const Value checkpoint = tutorial_checkpoint();
  const Value& group = checkpoint["optimizer_state_dict"]["param_groups"][0];
  CHECK(group["lr"].as_double() == 0.001);
  CHECK(group["params"][1].as_int() == 1);
  CHECK(group["params"][-1].as_int() == 1);  // from the end, as params[-1]
  CHECK(group["params"][std::size_t{0}].as_int() == 0);
  const Value state = Value::dict_from({std::int64_t{3}}, {Value{{"step", 7}}});
  CHECK(state[3]["step"].as_int() == 7);  // optimizer state is keyed by parameter index

  CHECK_THROWS_WITH_AS(checkpoint["optimizer_state_dict"]["param_groups"][1],
                       "Value[\"optimizer_state_dict\"][\"param_groups\"]: index 1 is out of range "
                       "for a list of 1 item",
                       Error);
  CHECK_THROWS_WITH_AS(group["params"][-3],
                       "Value[\"optimizer_state_dict\"][\"param_groups\"][0][\"params\"]: index -3 "
                       "is out of range for a list of 2 items",
                       Error);
  CHECK_THROWS_WITH_AS(checkpoint["optimizer_state_dict"]["lr"],
                       "Value[\"optimizer_state_dict\"]: no key \"lr\" (keys: \"state\", "
                       "\"param_groups\")",
                       Error);
  CHECK_THROWS_WITH_AS(checkpoint["optimizer_state_dict"]["state"][0],
                       "Value[\"optimizer_state_dict\"][\"state\"]: no key 0 (the dict is empty)",
                       Error);
  CHECK_THROWS_WITH_AS(group["params"]["lr"],
                       "Value[\"optimizer_state_dict\"][\"param_groups\"][0][\"params\"]: expected a "
                       "dict, found list",
                       Error);
  CHECK_THROWS_WITH_AS(checkpoint["epoch"][0],
                       "Value[\"epoch\"]: expected a list, tuple or dict to index with 0, found int",
                       Error);
}

TEST_CASE("Value: every accessor error names the path to the value") {
  Value checkpoint = tutorial_checkpoint();
  Value wrong = tutorial_checkpoint();
  Value group{{"lr", "0.001"}};
  Value optimizer{{"param_groups", Value::list({group})}};
  wrong.set("optimizer_state_dict", optimizer);  // set() gives the whole subtree its path
  CHECK_THROWS_WITH_AS(wrong["optimizer_state_dict"]["param_groups"][0]["lr"].as_double(),
                       "Value[\"optimizer_state_dict\"][\"param_groups\"][0][\"lr\"]: expected a "
                       "float, found str",
                       Error);
  CHECK_THROWS_WITH_AS(checkpoint.at("epoch").as_string(), "Value[\"epoch\"]: expected a str, found int",
                       Error);
  CHECK_THROWS_WITH_AS(checkpoint["epoch"].as_bool(), "Value[\"epoch\"]: expected a bool, found int", Error);
  CHECK_THROWS_WITH_AS(checkpoint["model_state_dict"]["fc1.bias"].as_int(),
                       "Value[\"model_state_dict\"][\"fc1.bias\"]: expected an int, found tensor", Error);
  CHECK_THROWS_WITH_AS(checkpoint["model_state_dict"].items(),
                       "Value[\"model_state_dict\"]: expected a list or tuple, found dict", Error);
  CHECK_THROWS_WITH_AS(checkpoint["epoch"].size(),
                       "Value[\"epoch\"]: expected a list, tuple or dict for size(), found int", Error);
  CHECK_THROWS_WITH_AS(Value(2.5).as_int(), "Value: expected an int, found float", Error);
  CHECK(checkpoint["optimizer_state_dict"]["param_groups"][0]["params"][1].path() ==
        "Value[\"optimizer_state_dict\"][\"param_groups\"][0][\"params\"][1]");
  CHECK(Value::dict_from({"a\"b"}, {1})["a\"b"].path() == "Value[\"a\\\"b\"]");
}

TEST_CASE("Value: paths follow a value through copies, moves and rebuilt trees") {
  Value checkpoint = tutorial_checkpoint();
  // A copy remembers where it came from.
  const Value group = checkpoint["optimizer_state_dict"]["param_groups"][0];
  CHECK(group["momentum"].path() == "Value[\"optimizer_state_dict\"][\"param_groups\"][0][\"momentum\"]");
  // The tutorial's habit, checkpoint = checkpoint["model_state_dict"], keeps the provenance.
  Value sd = checkpoint;
  sd = sd.at("model_state_dict");
  CHECK(sd["fc1.bias"].path() == "Value[\"model_state_dict\"][\"fc1.bias\"]");
  CHECK(checkpoint["model_state_dict"]["fc1.bias"].path() == "Value[\"model_state_dict\"][\"fc1.bias\"]");

  // Built from the leaves up, as the pickle reader does, then moved into a bigger tree: one
  // Place rewritten renames everything below it.
  Value inner = Value::list({Value{{"x", 1}}});
  Value outer = Value::dict();
  outer.set("a", std::move(inner));
  Value root = Value::list();
  root.append(std::move(outer));
  CHECK(root[0]["a"][0]["x"].path() == "Value[0][\"a\"][0][\"x\"]");
  // set() on an existing key gives the new value that key's path.
  root.items()[0].set("a", Value::list({"new"}));
  CHECK(root[0]["a"][0].path() == "Value[0][\"a\"][0]");
  // A copy of a tree is a tree of its own: renaming one leaves the other.
  Value copy = root;
  Value holder = Value::dict();
  holder.set("copy", std::move(copy));
  CHECK(holder["copy"][0]["a"][0].path() == "Value[\"copy\"][0][\"a\"][0]");
  CHECK(root[0]["a"][0].path() == "Value[0][\"a\"][0]");
}

TEST_CASE("Value: a loaded file's values name their path") {
  const Value checkpoint = load(test::fixture("checkpoint.pt"));
  CHECK_THROWS_WITH_AS(checkpoint["optimizer_state_dict"]["param_groups"][0]["lr"].as_string(),
                       "Value[\"optimizer_state_dict\"][\"param_groups\"][0][\"lr\"]: expected a str, "
                       "found float",
                       Error);
  CHECK_THROWS_WITH_AS(checkpoint["nested"][7][3].as_int(),
                       "Value[\"nested\"][7][3]: expected an int, found str", Error);
}

TEST_CASE("Value: as_double() takes a 0-d tensor, as Python's float() does") {
  const Value checkpoint = tutorial_checkpoint();
  CHECK(checkpoint["loss"].as_double() == 0.4375);  // the tutorial saves loss as a tensor
  CHECK(Value(full({}, 3, kInt64)).as_double() == 3.0);
  CHECK(checkpoint["epoch"].as_double() == 5.0);
  CHECK_THROWS_WITH_AS(checkpoint["model_state_dict"]["fc1.bias"].as_double(),
                       "Value[\"model_state_dict\"][\"fc1.bias\"]: expected a float, found a tensor "
                       "of shape (120,) (only a 0-d tensor converts to a float)",
                       Error);
  CHECK_THROWS_WITH_AS(checkpoint["optimizer_state_dict"].as_double(),
                       "Value[\"optimizer_state_dict\"]: expected a float, found dict", Error);
}
