// Every kind of file ember writes loads under PyTorch 2.6's default torch.load
// (weights_only=True), as tests/weights_only_checker models it; hand-made pickles show that
// the checker refuses what PyTorch refuses, at the byte where PyTorch stops.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "ember/ember.h"
#include "ember/serialize/pickle_writer.h"
#include "examples/the_model_class.h"
#include "tests/programs.h"
#include "tests/weights_only_checker.h"
#include "tests/weights_only_pickles.h"

using namespace ember;
using test::TorchRules;
using namespace std::string_literals;
using test::tensor_pickle;

namespace {

std::string path_for(const std::string& name) { return test::scratch_path("weights_only", name + ".pt"); }

// Saves value and checks the file under 2.6's rules; returns 1.13's verdict on it.
bool saved_file_loads(const Value& value, const std::string& name) {
  const std::string path = path_for(name);
  save(value, path);
  const test::WeightsOnlyReport report = test::check_weights_only_file(path, TorchRules::pytorch_2_6);
  INFO(name, ": ", report.describe());
  CHECK(report.accepted);
  for (const std::string& g : report.globals) {
    const bool expected = g == "collections.OrderedDict" || g == "torch._utils._rebuild_tensor_v2" ||
                          (g.rfind("torch.", 0) == 0 && g.size() > 7 && g.substr(g.size() - 7) == "Storage");
    CHECK_MESSAGE(expected, name, " names ", g);
  }
  return test::check_weights_only_file(path, TorchRules::pytorch_1_13).accepted;
}

// A bare pickle's verdict, as "accepted" or "byte N: reason".
std::string verdict(const std::string& pickle, TorchRules rules = TorchRules::pytorch_2_6) {
  return test::check_weights_only(pickle, rules).describe();
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// One training step, so that optimizers hold their per-parameter state.
void train_step(nn::Module& model, optim::Optimizer& optimizer) {
  Tensor loss = sum(model(randn({2, 3, 32, 32})));
  optimizer.zero_grad();
  loss.backward();
  optimizer.step();
}

}  // namespace

TEST_CASE("weights_only: module state_dicts of every layer, with and without _metadata") {
  using namespace ember::nn;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> layers{
      {"linear", std::make_shared<Linear>(4, 3)},
      {"linear_nobias", std::make_shared<Linear>(LinearOptions(4, 3).bias(false))},
      {"conv2d", std::make_shared<Conv2d>(Conv2dOptions(3, 6, 5).padding(2).groups(3))},
      {"conv2d_nobias", std::make_shared<Conv2d>(Conv2dOptions(3, 6, 5).bias(false))},
      {"batch_norm", std::make_shared<BatchNorm2d>(4)},
      {"max_pool", std::make_shared<MaxPool2d>(2)},
      {"avg_pool", std::make_shared<AvgPool2d>(2)},
      {"adaptive_avg_pool", std::make_shared<AdaptiveAvgPool2d>(AdaptiveAvgPool2dOptions({5, 7}))},
      {"dropout", std::make_shared<Dropout>(0.2)},
      {"flatten", std::make_shared<Flatten>()},
      {"relu", std::make_shared<ReLU>()},
      {"tanh", std::make_shared<Tanh>()},
      {"sigmoid", std::make_shared<Sigmoid>()},
      {"softmax", std::make_shared<Softmax>(1)},
      {"log_softmax", std::make_shared<LogSoftmax>(1)},
      {"cross_entropy", std::make_shared<CrossEntropyLoss>()},
      {"nll", std::make_shared<NLLLoss>()},
      {"mse", std::make_shared<MSELoss>()},
      {"sequential", std::make_shared<Sequential>(std::make_shared<Conv2d>(1, 2, 3), std::make_shared<BatchNorm2d>(2),
                                                  std::make_shared<ReLU>(), std::make_shared<Flatten>(),
                                                  std::make_shared<Linear>(8, 2))},
      {"module_list", std::make_shared<ModuleList>(std::vector<std::shared_ptr<Module>>{std::make_shared<Linear>(2, 2), std::make_shared<Dropout>()})},
      {"the_model_class", std::make_shared<examples::TheModelClass>()},
  };
  // BatchNorm's num_batches_tracked after a step in training mode: an int64 0-d tensor.
  auto bn = std::static_pointer_cast<BatchNorm2d>(layers[4].second);
  (*bn)(randn({2, 4, 3, 3}));
  for (const auto& [name, layer] : layers) {
    const Value with_metadata = layer->state_dict();
    CHECK(!with_metadata.metadata().is_none());
    CHECK_MESSAGE(saved_file_loads(with_metadata, name), name, ": 1.13 refuses it");
    Value without = with_metadata;
    without.set_metadata(Value());
    CHECK_MESSAGE(saved_file_loads(without, name + "_no_metadata"), name);
  }
}

TEST_CASE("weights_only: optimizer and scheduler state_dicts") {
  examples::TheModelClass model;
  std::vector<std::pair<std::string, std::unique_ptr<optim::Optimizer>>> optimizers;
  optimizers.emplace_back("sgd", std::make_unique<optim::SGD>(model.parameters(), optim::SGDOptions(0.1)));
  optimizers.emplace_back("sgd_momentum", std::make_unique<optim::SGD>(
                                              model.parameters(), optim::SGDOptions(0.1).momentum(0.9).nesterov(true)));
  optimizers.emplace_back("adam", std::make_unique<optim::Adam>(model.parameters()));
  optimizers.emplace_back("adamw", std::make_unique<optim::AdamW>(model.parameters(), optim::AdamWOptions(1e-3)));
  optimizers.emplace_back("amsgrad", std::make_unique<optim::Adam>(model.parameters(), optim::AdamOptions(1e-3).amsgrad(true)));
  for (auto& [name, optimizer] : optimizers) {
    saved_file_loads(optimizer->state_dict(), name + "_before_step");
    train_step(model, *optimizer);
    // Python floats (lr, betas) are BINFLOAT, which 1.13's loader lacks and 2.6's has.
    CHECK_FALSE(saved_file_loads(optimizer->state_dict(), name));
  }

  optim::SGD& sgd = *static_cast<optim::SGD*>(optimizers[1].second.get());
  optim::StepLR step_lr(sgd, optim::StepLROptions(3).gamma(0.5));
  optim::MultiStepLR multi_step(sgd, optim::MultiStepLROptions({2, 2, 5}));
  optim::ExponentialLR exponential(sgd, optim::ExponentialLROptions(0.9));
  optim::CosineAnnealingLR cosine(sgd, optim::CosineAnnealingLROptions(10).eta_min(1e-4));
  optim::ReduceLROnPlateau plateau(sgd, optim::ReduceLROnPlateauOptions().mode("max").min_lrs({1e-5}));
  // Before any step ReduceLROnPlateau's best is -inf and mode_worse too (mode "max").
  CHECK(std::isinf(plateau.state_dict().at("best").as_double()));
  saved_file_loads(plateau.state_dict(), "plateau_inf");
  for (int epoch = 0; epoch < 4; ++epoch) {
    step_lr.step();
    multi_step.step();
    exponential.step();
    cosine.step();
    plateau.step(0.5);
  }
  saved_file_loads(step_lr.state_dict(), "step_lr");
  saved_file_loads(multi_step.state_dict(), "multi_step_lr");
  saved_file_loads(exponential.state_dict(), "exponential_lr");
  saved_file_loads(cosine.state_dict(), "cosine_lr");
  saved_file_loads(plateau.state_dict(), "plateau");
}

TEST_CASE("weights_only: checkpoints, every value kind, views, shared storages, every dtype") {
  examples::TheModelClass model;
  optim::SGD optimizer(model.parameters(), optim::SGDOptions(0.001).momentum(0.9));
  train_step(model, optimizer);
  const Tensor loss = scalar_tensor(0.4375);
  saved_file_loads({{"epoch", 2}, {"model_state_dict", model.state_dict()},
                    {"optimizer_state_dict", optimizer.state_dict()}, {"loss", loss}}, "tutorial_loss_tensor");
  saved_file_loads({{"epoch", 2}, {"model_state_dict", model.state_dict()},
                    {"optimizer_state_dict", optimizer.state_dict()}, {"loss", 0.4375}}, "tutorial_loss_float");

  // train_lenet's checkpoint: its recipe, the generator's state, the loader's position in the
  // middle of a shuffled epoch (which carries the epoch's generator state) and the metrics.
  data::TensorDataset dataset(randn({10, 2}), randint(0, 3, {10}));
  data::DataLoaderOptions loader_options;
  loader_options.batch_size = 3;
  loader_options.shuffle = true;
  data::DataLoader loader(dataset, loader_options);
  loader.next();
  data::MetricsLog metrics;
  metrics.append({1, 0.5, 0.625, 0.75, 1.5});
  saved_file_loads({{"epoch", 1}, {"model_state_dict", model.state_dict()},
                    {"optimizer_state_dict", optimizer.state_dict()}, {"loss", 0.5},
                    {"ember_format", "train_lenet/1"},
                    {"ember_recipe", Value{{"seed", 0}, {"lr", 0.01}, {"momentum", 0.9}}},
                    {"ember_generator_state", default_generator().get_state()},
                    {"ember_loader_state", loader.state()}, {"ember_metrics", metrics.state()}},
                   "train_lenet_format");

  const double inf = std::numeric_limits<double>::infinity();
  Value kinds{{"none", Value()}, {"true", true}, {"false", false}, {"small", 7}, {"u16", 40000},
              {"negative", -1}, {"i32", -2147483647 - 1}, {"big", std::int64_t{1} << 40},
              {"max", std::numeric_limits<std::int64_t>::max()}, {"min", std::numeric_limits<std::int64_t>::min()},
              {"float", 0.1}, {"inf", inf}, {"-inf", -inf}, {"nan", std::nan("")},
              {"str", "run"}, {"unicode", "\xc3\xa9t\xc3\xa9 \xf0\x9f\x94\xa5"}, {"empty_str", ""},
              {"nested", Value::list({Value::tuple({1, Value::list({2.5, "x", Value::tuple()})}), Value::list()})},
              {"tuples", Value::list({Value::tuple({1}), Value::tuple({1, 2}), Value::tuple({1, 2, 3}),
                                      Value::tuple({1, 2, 3, 4})})},
              {"one_item_list", Value::list({3})}, {"empty_dict", Value::dict()},
              {"empty_ordered_dict", Value::ordered_dict()}, {"int_keys", Value{{0, "a"}, {-5, "b"}, {1 << 20, "c"}}}};
  Value long_list = Value::list();
  Value long_dict = Value::dict();
  for (int i = 0; i < 2500; ++i) {
    long_list.append(i);
    long_dict.set("k" + std::to_string(i), i);
  }
  kinds.set("long_list", long_list);
  kinds.set("long_dict", long_dict);
  Value deep = 1;
  for (int d = 0; d < 900; ++d) deep = Value::list({deep});
  kinds.set("deep", deep);
  CHECK_FALSE(saved_file_loads(kinds, "value_kinds"));  // floats: 2.6 only

  Tensor x = arange(0, 20, 1, kFloat64).view({4, 5});
  Tensor w = randn({3, 4});
  w.requires_grad_(true);
  Value views{{"x", x}, {"xt", x.t()}, {"col", x.select(1, 3)}, {"corner", x.select(0, 3).select(0, 4)},
              {"slice", x.narrow(0, 1, 2).narrow(1, 1, 3)}, {"x_again", x}, {"weight", w},
              {"empty", zeros({2, 0, 3})}, {"empty_view", x.narrow(0, 4, 0)}, {"scalar", scalar_tensor(3, kInt64)}};
  CHECK(saved_file_loads(views, "views_shared_storage"));
  Value dtypes = Value::list();
  for (Dtype d : {kFloat32, kFloat64, kFloat16, kBFloat16, kInt64, kInt32, kInt16, kInt8, kUInt8, kBool}) {
    dtypes.append(arange(-2, 4, 1, kInt64).to(d));
  }
  CHECK(saved_file_loads(dtypes, "dtypes"));
  CHECK(saved_file_loads(Value::list(), "empty_list"));
  CHECK(saved_file_loads(Value::dict(), "empty_dict"));
  CHECK(saved_file_loads(Value(), "none"));
}

TEST_CASE("weights_only: the checker refuses what PyTorch refuses, naming the byte") {
  // Protocol 4, as pickle.dumps({'a': 1}, protocol=4) writes it: FRAME right after PROTO.
  const std::string protocol4("\x80\x04\x95\x0a\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01\x61\x94K\x01s.", 21);
  CHECK(verdict(protocol4) == "byte 2: opcode FRAME (0x95) is not one PyTorch 2.6's weights_only unpickler implements");
  CHECK(verdict(std::string("\x80\x02]\x94.", 5)) ==
        "byte 3: opcode MEMOIZE (0x94) is not one PyTorch 2.6's weights_only unpickler implements");
  CHECK(verdict(std::string("\x80\x02\x8c\x01\x61.", 6)) ==
        "byte 2: opcode SHORT_BINUNICODE (0x8c) is not one PyTorch 2.6's weights_only unpickler implements");
  // pickle.dumps(os.system) on Linux names posix.system; both modules are blocked.
  CHECK(verdict("\x80\x02" "cos\nsystem\nX\x02\x00\x00\x00lsq\x01\x85R."s) ==
        "byte 2: GLOBAL os.system: its module os is blocked");
  CHECK(verdict("\x80\x02" "cposix\nsystem\n)R.") == "byte 2: GLOBAL posix.system: its module posix is blocked");
  CHECK(contains(verdict("\x80\x02" "cbuiltins\neval\n)R."), "builtins.eval is not an allowed global"));
  CHECK(contains(verdict("\x80\x02" "c__main__\nNet\n)\x81."), "__main__.Net is not an allowed global"));
  CHECK(contains(verdict("\x80\x02" "ctorch\nsave\n."), "torch.save is not an allowed global"));
  CHECK(contains(verdict("\x80\x02" "ctorch._utils\n_rebuild_qtensor\n.", TorchRules::pytorch_1_13),
                 "not an allowed global"));

  // BINFLOAT: 2.6 has it, 1.13 does not.
  const std::string one_float("\x80\x02G\x3f\xf0\x00\x00\x00\x00\x00\x00.", 12);
  CHECK(verdict(one_float) == "accepted");
  CHECK(contains(verdict(one_float, TorchRules::pytorch_1_13), "byte 2: opcode BINFLOAT (0x47)"));
  // 2.6's new globals are unknown to 1.13.
  const std::string a_set = "\x80\x02" "cbuiltins\nset\n]\x85R.";
  CHECK(verdict(a_set) == "accepted");
  CHECK(contains(verdict(a_set, TorchRules::pytorch_1_13), "builtins.set is not an allowed global"));

  // The semantic rules: what may be built, appended to, called; what a persistent id may be.
  CHECK(verdict("\x80\x02]}b.") == "byte 4: BUILD of list: only a Tensor, a Parameter or an OrderedDict can be built");
  CHECK(verdict("\x80\x02}Na.") == "byte 4: APPEND to dict, not a list");
  CHECK(verdict("\x80\x02]NNs.") == "byte 5: SETITEM on list: only a dict, OrderedDict or Counter takes items");
  CHECK(verdict("\x80\x02}]Ns.") == "byte 5: SETITEM: a dict key of type list is unhashable");
  CHECK(verdict("\x80\x02" "ccollections\nOrderedDict\n)R}b.") == "accepted");
  CHECK(verdict("\x80\x02" "ctorch\nfloat32\n)R.") == "byte 18: torch.float32 is not callable");
  CHECK(verdict("\x80\x02" "ccollections\nOrderedDict\n)\x81.", TorchRules::pytorch_1_13) ==
        "byte 28: NEWOBJ of collections.OrderedDict: 1.13 creates only torch.nn.Parameter");
  CHECK(verdict("\x80\x02(X\x06\x00\x00\x00moduleNNNNtQ."s) ==
        "byte 19: persistent id is not a ('storage', ...) tuple: only storages are loaded");
  CHECK(verdict("\x80\x02])R.") == "byte 4: REDUCE calls list, not an allowed global");

  // Damage: a string that is not UTF-8, a memo never stored, no MARK, truncation, no STOP.
  CHECK(contains(verdict("\x80\x02X\x01\x00\x00\x00\xff."s), "byte 2: BINUNICODE string is not UTF-8"));
  CHECK(verdict("\x80\x02h\x05.") == "byte 2: memo 5 was never stored");
  CHECK(verdict("\x80\x02t.") == "byte 2: no MARK to pop to");
  CHECK(verdict("\x80\x02X\x05\x00\x00\x00" "ab"s) == "byte 2: the pickle is truncated");
  CHECK(verdict("\x80\x02N") == "byte 3: the pickle ends without STOP");
}

TEST_CASE("weights_only: storages are checked against their records and views against storages") {
  // Storage "0" of 6 floats: 24 bytes.
  const std::map<std::string, std::uint64_t> records{{"0", 24}};
  auto check = [&](const std::string& p) { return test::check_weights_only(p, TorchRules::pytorch_2_6, &records).describe(); };
  CHECK(check(tensor_pickle("FloatStorage", 6, 0, 2, true)) == "accepted");
  CHECK(check(tensor_pickle("FloatStorage", 6, 3, 1, false)) == "accepted");
  CHECK(contains(check(tensor_pickle("FloatStorage", 6, 1, 2, false)), "the view reaches element 6 of a storage of 6"));
  CHECK(contains(check(tensor_pickle("FloatStorage", 5, 0, 1, false)),
                 "storage '0' of 5 elements of 4 bytes, but its record holds 24 bytes"));
  CHECK(contains(check(tensor_pickle("IntStorage", 6, 0, 2, true)),
                 "requires_grad=True on a torch.IntStorage tensor"));
  const std::map<std::string, std::uint64_t> no_records;
  CHECK(contains(test::check_weights_only(tensor_pickle("FloatStorage", 6, 0, 2, false), TorchRules::pytorch_2_6,
                                          &no_records).describe(),
                 "storage '0' has no record data/0"));
  CHECK(contains(check(tensor_pickle("TypedStorage", 6, 0, 2, false)), "not an allowed global"));
}

TEST_CASE("weights_only: ember refuses to write a string that is not UTF-8") {
  // PyTorch decodes every BINUNICODE as UTF-8; a Latin-1 key would make a file no torch.load opens.
  const std::string path = path_for("latin1");
  CHECK_THROWS_WITH_AS(save(Value{{"caf\xe9", 1}}, path),
                       ("save: '" + path + "': Value: key 'caf\\xe9' is not valid UTF-8 (byte 3); Python's "
                        "pickle stores str as UTF-8, so torch.load could not read the file").c_str(),
                       SerializeError);
  Value nested{{"names", Value::list({"ok", std::string("ok\xc3")})}};
  CHECK_THROWS_WITH_AS(serialize::pickle(nested),
                       "Value[\"names\"][1]: str 'ok\\xc3' is not valid UTF-8 (byte 2); Python's pickle stores "
                       "str as UTF-8, so torch.load could not read the file",
                       Error);
  // Overlong forms and code points past U+10FFFF are not UTF-8 either; surrogates pass, as
  // Python's "surrogatepass" lets them.
  CHECK_THROWS_AS(serialize::pickle(Value("\xc0\xaf")), Error);
  CHECK_THROWS_AS(serialize::pickle(Value("\xf4\x90\x80\x80")), Error);
  for (const char* good : {"caf\xc3\xa9", "\xed\xa0\x80", "\xf0\x9f\x94\xa5", ""}) {
    CHECK(test::check_weights_only(serialize::pickle(Value{{good, 1}}).bytes, TorchRules::pytorch_2_6).accepted);
  }
}
