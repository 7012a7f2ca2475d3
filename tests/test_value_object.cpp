// Value::Kind::object: an inert pickled object's parts, getattr, copies, paths in errors, and
// its repr; ember::save refuses to write one.
#include <doctest/doctest.h>

#include <sstream>

#include "ember/serialize/serialize.h"
#include "ember/tensor/factories.h"
#include "tests/test_serialize_helpers.h"

using namespace ember;
using doctest::Contains;
using Origin = Value::ObjectOrigin;

namespace {

// A pickled module as torch.save(model) writes one, cut down: Linear(2, 1) without bias.
Value linear() {
  Value parameters = Value::ordered_dict();
  parameters.set("weight", tensor({0.5, -1.0}, {1, 2}));
  parameters.set("bias", Value());
  Value state{{"training", true},
              {"_parameters", parameters},
              {"_buffers", Value::ordered_dict()},
              {"_modules", Value::ordered_dict()},
              {"in_features", 2}};
  return Value::object("torch.nn.modules.linear.Linear", Origin::newobj, Value::tuple(), state);
}

}  // namespace

TEST_CASE("Value::object: its parts, kind and accessors") {
  const Value v = linear();
  CHECK(v.is_object());
  CHECK(v.kind() == Value::Kind::object);
  CHECK(std::string(v.kind_name()) == "object");
  CHECK(v.class_name() == "torch.nn.modules.linear.Linear");
  CHECK(v.object_origin() == Origin::newobj);
  CHECK(v.object_args().is_tuple());
  CHECK(v.object_args().size() == 0);
  CHECK(v.object_state().is_dict());
  CHECK(v.object_listitems().is_list());
  CHECK(v.object_dictitems().is_dict());
  CHECK(v.hasattr("in_features"));
  CHECK_FALSE(v.hasattr("out_features"));
  CHECK(v.getattr("in_features").as_int() == 2);
  CHECK(v.getattr("_parameters")["weight"].as_tensor().shape() == Shape{1, 2});

  const Value reference = Value::object("torch.nn.functional.relu", Origin::global);
  CHECK(reference.object_origin() == Origin::global);
  CHECK(reference.object_state().is_none());
  CHECK_FALSE(reference.hasattr("x"));
}

TEST_CASE("Value::object: errors name the path, the class and what it has") {
  const Value checkpoint{{"model", linear()}, {"epoch", 3}};
  const Value& model = checkpoint["model"];
  CHECK(model.getattr("_parameters")["weight"].path() == R"(Value["model"].__dict__["_parameters"]["weight"])");
  CHECK_THROWS_WITH_AS(model.getattr("out_features"),
                       R"(Value["model"]: object of class torch.nn.modules.linear.Linear has no attribute 'out_features' )"
                       "(attributes: 'training', '_parameters', '_buffers', '_modules', 'in_features')",
                       Error);
  CHECK_THROWS_WITH_AS(checkpoint["epoch"].class_name(), R"(Value["epoch"]: expected an object, found int)", Error);
  CHECK_THROWS_WITH_AS(model.size(), R"(Value["model"]: expected a list, tuple or dict for size(), found object)",
                       Error);
  CHECK_THROWS_WITH_AS(model["x"], Contains("expected a dict, found object"), Error);
  const Value device = Value::object("torch.device", Origin::reduce, Value::tuple({"cuda", 0}), Value());
  CHECK_THROWS_WITH_AS(device.getattr("type"),
                       "Value: object of class torch.device has no attribute 'type': its state is None, not an "
                       "attribute dict",
                       Error);
  CHECK(device.object_args()[0].path() == "Value.args[0]");
  CHECK_THROWS_WITH_AS(Value::object("x", Origin::newobj, Value::list(), Value()),
                       "Value::object: args must be a tuple, found list", Error);
}

TEST_CASE("Value::object: getattr reads both dicts of a (dict, slotstate) state") {
  const Value state = Value::tuple({Value{{"a", 1}}, Value{{"b", 2}}});
  const Value v = Value::object("__main__.Slots", Origin::newobj, Value::tuple(), state);
  CHECK(v.getattr("a").as_int() == 1);
  CHECK(v.getattr("b").as_int() == 2);
  CHECK(v.object_state()[1]["b"].path() == "Value.state[1][\"b\"]");
  CHECK_THROWS_WITH_AS(v.getattr("c"), "Value: object of class __main__.Slots has no attribute 'c' (attributes: 'a', 'b')",
                       Error);
}

TEST_CASE("Value::object: a copy is deep and keeps its paths") {
  Value checkpoint{{"model", linear()}};
  Value copy = checkpoint["model"];
  CHECK(copy.class_name() == "torch.nn.modules.linear.Linear");
  CHECK(copy.getattr("in_features").path() == R"(Value["model"].__dict__["in_features"])");
  checkpoint.set("model", 1);  // the copy owns its tree
  CHECK(copy.getattr("in_features").as_int() == 2);
  Value moved = std::move(copy);
  CHECK(moved.getattr("_parameters").size() == 2);
}

TEST_CASE("Value::object: repr shows the class and what the pickle gave it") {
  CHECK(python_repr(Value::object("torch.nn.functional.relu", Origin::global)) == "<global 'torch.nn.functional.relu'>");
  CHECK(python_repr(Value::object("torch.device", Origin::reduce, Value::tuple({"cuda", 0}), Value())) ==
        "<torch.device('cuda', 0)>");
  CHECK(python_repr(Value::object("__main__.Empty", Origin::newobj)) == "<__main__.Empty object>");
  CHECK(python_repr(Value::object("argparse.Namespace", Origin::newobj, Value::tuple(), Value{{"lr", 0.1}})) ==
        "<argparse.Namespace object state={'lr': 0.1}>");
  CHECK(python_repr(Value::object("__main__.Pair", Origin::newobj, Value::tuple({1, 2}), Value())) ==
        "<__main__.Pair object args=(1, 2)>");
  CHECK(python_repr(Value::object("__main__.Bag", Origin::newobj, Value::tuple(), Value(), Value::list({1}),
                                  Value{{"k", "v"}})) == "<__main__.Bag object listitems=[1] dictitems={'k': 'v'}>");
  // Sets print as Python prints them.
  CHECK(python_repr(Value::object("builtins.set", Origin::reduce, Value::tuple({Value::list({"cache", 1})}), Value())) ==
        "{'cache', 1}");
  CHECK(python_repr(Value::object("builtins.set", Origin::reduce, Value::tuple({Value::list()}), Value())) == "set()");
  CHECK(python_repr(Value::object("builtins.frozenset", Origin::reduce, Value::tuple({Value::list({2})}), Value())) ==
        "frozenset({2})");
  std::ostringstream out;
  out << linear();
  CHECK(out.str() ==
        "<torch.nn.modules.linear.Linear object state={'training': True, '_parameters': OrderedDict([('weight', "
        "tensor(..., size=(1, 2))), ('bias', None)]), '_buffers': OrderedDict(), '_modules': OrderedDict(), "
        "'in_features': 2}>");
}

TEST_CASE("Value::object: ember::save writes one back as the pickle made it") {
  const Value checkpoint{{"epoch", 1}, {"model", linear()},
                         {"tags", Value::object("builtins.set", Origin::reduce,
                                                Value::tuple({Value::list({"a"})}), Value())}};
  const std::string path = test::scratch("object.pt");
  save(checkpoint, path);
  const Value back = load(path, LoadOptions().weights_only(false));
  CHECK(python_repr(back) == python_repr(checkpoint));
  CHECK(back["model"].class_name() == "torch.nn.modules.linear.Linear");
  CHECK(back["model"].object_origin() == Origin::newobj);
  CHECK(back["model"].getattr("in_features").as_int() == 2);
  // The default, weights_only=true, refuses it again, saying what it is.
  CHECK_THROWS_WITH_AS(load(path), Contains("torch.nn.modules.linear.Linear"), SerializeError);
}
