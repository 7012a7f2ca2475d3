// Whole models against PyTorch: TheModelClass and a Sequential with BatchNorm, their
// state_dicts and printed form, the tutorial's init_weights + partial loading, and load errors.
#include <doctest/doctest.h>

#include <sstream>

#include "model_fixtures.h"
#include "ember/nn/activation.h"
#include "ember/nn/batch_norm.h"
#include "ember/nn/dropout.h"
#include "ember/nn/flatten.h"
#include "ember/nn/init.h"
#include "ember/nn/sequential.h"
#include "ember/optim/sgd.h"
#include "ember/tensor/ops.h"

using namespace ember;
using ember::testing::relative_error;
using ember::testing::state_dict_from_json;
using ember::testing::tensor_from_json;
using ember::testing::TheModelClass;
using json = nlohmann::json;

namespace {

std::shared_ptr<nn::Sequential> make_sequential(double p) {
  return std::make_shared<nn::Sequential>(
      std::make_shared<nn::Conv2d>(nn::Conv2dOptions(3, 8, 3).padding(1)),
      std::make_shared<nn::BatchNorm2d>(8), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Dropout>(p),
      std::make_shared<nn::Linear>(8 * 6 * 6, 5));
}

std::vector<std::string> keys_of(const nn::Module& model) { return model.state_dict().keys(); }

// Forward, cross-entropy and backward on the golden batch; compares all with PyTorch's.
void check_step_against(nn::Module& model, const json& input, const json& target,
                        const json& golden) {
  model.zero_grad();
  Tensor x = tensor_from_json(input);
  Tensor y = tensor_int64(target.get<std::vector<std::int64_t>>());
  Tensor out = model(x);
  Tensor loss = nn::functional::cross_entropy(out, y);
  loss.backward();
  CHECK(relative_error(out, tensor_from_json(golden.at("output"))) <= 1e-5);
  CHECK(std::abs(loss.item() - golden.at("loss").get<double>()) <=
        1e-5 * std::abs(golden.at("loss").get<double>()));
  for (const auto& [name, param] : model.named_parameters()) {
    INFO("gradient of ", name);
    REQUIRE(param.grad().defined());
    const Tensor expected = tensor_from_json(golden.at("grads").at(name));
    INFO("relative error ", relative_error(param.grad(), expected));
    CHECK(testing::matches(param.grad(), expected));
  }
}

}  // namespace

TEST_CASE("model: TheModelClass with PyTorch's weights computes PyTorch's outputs and gradients") {
  const json golden = testing::load_json("tests/fixtures/model_golden.json").at("tutorial");
  TheModelClass model;
  model.load_state_dict(state_dict_from_json(golden.at("state_dict")));
  SUBCASE("eval mode") {
    model.eval();
    check_step_against(model, golden.at("input"), golden.at("target"), golden.at("eval"));
  }
  SUBCASE("train mode (no layer of this model depends on the mode)") {
    model.train();
    check_step_against(model, golden.at("input"), golden.at("target"), golden.at("eval"));
  }
}

TEST_CASE("model: Sequential(Conv2d, BatchNorm2d, ReLU, Flatten, Dropout, Linear) matches PyTorch") {
  const json golden = testing::load_json("tests/fixtures/model_golden.json").at("sequential");
  const nn::StateDict weights = state_dict_from_json(golden.at("state_dict"));

  SUBCASE("eval mode, Dropout(p=0.5) is the identity") {
    auto model = make_sequential(0.5);
    model->load_state_dict(weights);
    model->eval();
    check_step_against(*model, golden.at("input"), golden.at("target"), golden.at("eval"));
  }
  SUBCASE("train mode with Dropout(p=0), then BatchNorm's running statistics after two steps") {
    auto model = make_sequential(0.0);
    model->load_state_dict(weights);
    // The same sequence as the golden script: an eval step, a train step, two SGD steps.
    model->eval();
    check_step_against(*model, golden.at("input"), golden.at("target"), golden.at("eval"));
    model->train();
    check_step_against(*model, golden.at("input"), golden.at("target"), golden.at("train_p0"));
    optim::SGD sgd(model->parameters(), optim::SGDOptions(0.1));
    Tensor x = tensor_from_json(golden.at("input"));
    Tensor y = tensor_int64(golden.at("target").get<std::vector<std::int64_t>>());
    for (int step = 0; step < 2; ++step) {
      sgd.zero_grad();
      nn::functional::cross_entropy((*model)(x), y).backward();
      sgd.step();
    }
    const nn::StateDict expected = state_dict_from_json(golden.at("after_two_steps"));
    for (const auto& [key, value] : model->state_dict()) {
      INFO("state_dict entry ", key);
      CHECK(relative_error(value, expected.at(key)) <= 1e-5);
    }
    CHECK(model->state_dict().at("1.num_batches_tracked").item<std::int64_t>() == 3);
  }
}

TEST_CASE("model: state_dict keys, their order and the printed model equal PyTorch's") {
  const json golden = testing::load_json("tests/fixtures/model_golden.json");
  TheModelClass tutorial;
  CHECK(keys_of(tutorial) == golden.at("tutorial").at("state_dict_keys").get<std::vector<std::string>>());
  std::ostringstream printed;
  printed << tutorial;
  CHECK(printed.str() == golden.at("tutorial").at("repr").get<std::string>());

  auto seq = make_sequential(0.5);
  CHECK(keys_of(*seq) == golden.at("sequential").at("state_dict_keys").get<std::vector<std::string>>());
  CHECK(seq->repr() == golden.at("sequential").at("repr").get<std::string>());
  // Shapes as in PyTorch too.
  for (const auto& [key, value] : seq->state_dict()) {
    INFO(key);
    CHECK(value.shape() ==
          golden.at("sequential").at("state_dict").at(key).at("shape").get<Shape>());
  }
}

TEST_CASE("model: the tutorial's init_weights and partial loading of pretrained parameters") {
  manual_seed(7);
  // A "pretrained" network whose feature layers match ours and whose head does not exist here.
  auto pretrained_model = std::make_shared<nn::Sequential>(
      std::make_shared<nn::Conv2d>(3, 8, 3), std::make_shared<nn::BatchNorm2d>(8));
  nn::StateDict pretrained = pretrained_model->state_dict();
  pretrained.set("head.weight", randn({10, 8}));

  auto model = std::make_shared<nn::Sequential>(
      std::make_shared<nn::Conv2d>(3, 8, 3), std::make_shared<nn::BatchNorm2d>(8),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(8 * 4 * 4, 10));

  // init_weights: walk the modules; normal_(std=0.001) on Conv2d weights, constants on BatchNorm.
  for (nn::Module* m : model->modules()) {
    if (auto* conv = dynamic_cast<nn::Conv2d*>(m)) {
      nn::init::normal_(conv->weight, 0.0, 0.001);
    } else if (auto* bn = dynamic_cast<nn::BatchNorm2d*>(m)) {
      nn::init::constant_(bn->weight, 1.0);
      nn::init::constant_(bn->bias, 0.0);
    }
  }
  Tensor w = model->state_dict().at("0.weight");
  CHECK(max(abs(w)).item() < 0.006);  // 6 sigma of normal(0, 0.001)
  CHECK(max(abs(w)).item() > 0.0);
  const Tensor head_before = model->state_dict().at("4.weight").clone();

  // model_dict.update({k: v for k, v in pretrained.items() if k in model_dict}); load it.
  nn::StateDict model_dict = model->state_dict();
  std::vector<std::string> taken;
  for (const auto& [key, value] : pretrained) {
    if (model_dict.contains(key)) {
      model_dict.set(key, value);
      taken.push_back(key);
    }
  }
  CHECK(taken == std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias",
                                          "1.running_mean", "1.running_var",
                                          "1.num_batches_tracked"});
  model->load_state_dict(model_dict);
  CHECK(equal(model->state_dict().at("0.weight"), pretrained.at("0.weight")));
  CHECK(equal(model->state_dict().at("0.bias"), pretrained.at("0.bias")));
  CHECK(equal(model->state_dict().at("4.weight"), head_before));  // the head kept its init

  // Loading the pretrained dict directly is refused in strict mode and reported otherwise.
  nn::LoadResult result = model->load_state_dict(pretrained, /*strict=*/false);
  CHECK(result.missing_keys == std::vector<std::string>{"4.weight", "4.bias"});
  CHECK(result.unexpected_keys == std::vector<std::string>{"head.weight"});
}

TEST_CASE("model: load_state_dict errors name the keys and leave the model unchanged") {
  TheModelClass model;
  const nn::StateDict good = model.state_dict();
  std::vector<Tensor> before;
  for (const auto& [key, value] : good) before.push_back(value.clone());
  auto unchanged = [&] {
    std::size_t i = 0;
    for (const auto& [key, value] : model.state_dict()) {
      if (!equal(value, before[i++])) return false;
    }
    return true;
  };

  SUBCASE("wrong shape") {
    nn::StateDict bad;
    for (const auto& [key, value] : good) bad.set(key, zeros_like(value));
    bad.set("fc1.weight", zeros({84, 120}));
    CHECK_THROWS_WITH_AS(model.load_state_dict(bad),
                         "Error(s) in loading state_dict for TheModelClass:\n\tsize mismatch for "
                         "fc1.weight: copying a param with shape torch.Size([84, 120]) from "
                         "checkpoint, the shape in current model is torch.Size([120, 400]).",
                         Error);
    CHECK(unchanged());
  }
  SUBCASE("missing and unexpected keys, reported together") {
    nn::StateDict bad;
    for (const auto& [key, value] : good) bad.set(key, zeros_like(value));
    bad.erase("conv1.bias");
    bad.erase("fc3.weight");
    bad.set("fc4.weight", zeros({10, 10}));
    CHECK_THROWS_WITH_AS(model.load_state_dict(bad),
                         "Error(s) in loading state_dict for TheModelClass:\n"
                         "\tMissing key(s) in state_dict: \"conv1.bias\", \"fc3.weight\". \n"
                         "\tUnexpected key(s) in state_dict: \"fc4.weight\". ",
                         Error);
    CHECK(unchanged());
    nn::LoadResult result = model.load_state_dict(bad, /*strict=*/false);
    CHECK(result.missing_keys == std::vector<std::string>{"conv1.bias", "fc3.weight"});
    CHECK(result.unexpected_keys == std::vector<std::string>{"fc4.weight"});
    CHECK(equal(model.state_dict().at("fc1.weight"), zeros({120, 400})));  // the rest was loaded
  }
  SUBCASE("a value that is not a dict of tensors") {
    Value checkpoint{{"epoch", 3}, {"model_state_dict", Value(good)}};
    CHECK_THROWS_WITH_AS(model.load_state_dict(checkpoint),
                         "state_dict: expected a tensor for key 'epoch', found int (is this a "
                         "checkpoint dict? pick its \"model_state_dict\")",
                         Error);
    model.load_state_dict(checkpoint.at("model_state_dict"));
    CHECK(unchanged());
  }
}

TEST_CASE("model: named_modules, requires_grad_ freezing, zero_grad and to(float64)") {
  TheModelClass model;
  std::vector<std::string> names;
  for (const auto& [name, m] : model.named_modules()) names.push_back(name + ":" + m->type_name());
  CHECK(names == std::vector<std::string>{":TheModelClass", "conv1:Conv2d", "pool:MaxPool2d",
                                          "conv2:Conv2d", "fc1:Linear", "fc2:Linear", "fc3:Linear"});
  model.conv1->requires_grad_(false);
  Tensor loss = model(randn({2, 3, 32, 32})).sum();
  loss.backward();
  CHECK_FALSE(model.conv1->weight.grad().defined());
  CHECK(model.fc1->weight.grad().defined());
  model.zero_grad();
  CHECK_FALSE(model.fc1->weight.grad().defined());

  Tensor handle = model.fc1->weight;
  model.to(kFloat64);
  CHECK(handle.dtype() == kFloat64);  // existing handles see the conversion, as in PyTorch
  CHECK(model(randn({1, 3, 32, 32}, kFloat64)).dtype() == kFloat64);
}

TEST_CASE("model: state_dict carries PyTorch's _metadata (module versions) through save and load") {
  auto seq = std::make_shared<nn::Sequential>(std::make_shared<nn::Conv2d>(3, 8, 3),
                                              std::make_shared<nn::BatchNorm2d>(8));
  const nn::StateDict sd = seq->state_dict();
  using Versions = std::vector<std::pair<std::string, std::int64_t>>;
  CHECK(sd.versions() == Versions{{"", 1}, {"0", 1}, {"1", 2}});  // BatchNorm is at version 2
  const Value value = sd;
  REQUIRE(value.metadata().is_dict());
  CHECK(value.metadata().at("1").at("version").as_int() == 2);
  const nn::StateDict back = value;
  CHECK(back.versions() == sd.versions());
  CHECK(back.keys() == sd.keys());
}

TEST_CASE("model: a Value can be replaced by one of its own entries") {
  Value checkpoint{{"epoch", 3}, {"model_state_dict", Value{{"w", ones({2})}}}};
  checkpoint = checkpoint.at("model_state_dict");  // the tutorial's habit, in C++
  CHECK(checkpoint.keys().size() == 1);
  CHECK(equal(checkpoint.at("w").as_tensor(), ones({2})));
}

TEST_CASE("model: missing keys are reported in state_dict order, buffers beside their parameters") {
  auto model = std::make_shared<nn::Sequential>(std::make_shared<nn::Conv2d>(3, 8, 3),
                                                std::make_shared<nn::BatchNorm2d>(8),
                                                std::make_shared<nn::Linear>(4, 2));
  nn::LoadResult result = model->load_state_dict(nn::StateDict(), /*strict=*/false);
  CHECK(result.missing_keys == model->state_dict().keys());
  CHECK(result.missing_keys[6] == "1.num_batches_tracked");
  CHECK(result.missing_keys[7] == "2.weight");
}
