// Module::load_state_dict reports every problem in one Error, in PyTorch's words and order,
// and leaves the module unchanged when it throws. The goldens are the messages PyTorch 1.13
// raises for the same models and state_dicts (torch/nn/modules/module.py, load_state_dict).
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "model_fixtures.h"
#include "ember/nn/linear.h"
#include "ember/nn/sequential.h"
#include "ember/tensor/ops.h"

using namespace ember;
using ember::testing::TheModelClass;

namespace {

// A copy of every tensor of a module's state_dict, to check later that a load changed none.
std::vector<Tensor> snapshot(const nn::Module& module) {
  std::vector<Tensor> out;
  for (const auto& [key, value] : module.state_dict()) out.push_back(value.clone());
  return out;
}

bool unchanged(const nn::Module& module, const std::vector<Tensor>& before) {
  std::size_t i = 0;
  for (const auto& [key, value] : module.state_dict()) {
    if (!equal(value, before[i++])) return false;
  }
  return true;
}

// TheModelClass's state_dict, zeroed, with two keys missing, one unexpected and two tensors
// of the wrong shape (one of them with the wrong number of dims).
nn::StateDict broken_state_dict(const nn::Module& model) {
  nn::StateDict bad;
  for (const auto& [key, value] : model.state_dict()) bad.set(key, zeros_like(value));
  bad.erase("conv1.bias");
  bad.erase("fc3.weight");
  bad.set("fc4.weight", zeros({10, 10}));
  bad.set("fc1.weight", zeros({84, 120}));
  bad.set("conv2.weight", zeros({3}));
  return bad;
}

// PyTorch's lines for the two tensors of broken_state_dict whose shape is wrong.
const std::string kSizeMismatches =
    "\tsize mismatch for conv2.weight: copying a param with shape torch.Size([3]) from "
    "checkpoint, the shape in current model is torch.Size([16, 6, 5, 5]).\n"
    "\tsize mismatch for fc1.weight: copying a param with shape torch.Size([84, 120]) from "
    "checkpoint, the shape in current model is torch.Size([120, 400]).";

}  // namespace

TEST_CASE("load_state_dict: one Error lists missing keys, unexpected keys and size mismatches") {
  TheModelClass model;
  const std::vector<Tensor> before = snapshot(model);
  const std::string expected =
      "Error(s) in loading state_dict for TheModelClass:\n"
      "\tMissing key(s) in state_dict: \"conv1.bias\", \"fc3.weight\". \n"
      "\tUnexpected key(s) in state_dict: \"fc4.weight\". \n" +
      kSizeMismatches;
  CHECK_THROWS_WITH_AS(model.load_state_dict(broken_state_dict(model)), expected.c_str(), Error);
  CHECK(unchanged(model, before));
}

TEST_CASE("load_state_dict: strict=false still throws for size mismatches, and changes nothing") {
  TheModelClass model;
  const std::vector<Tensor> before = snapshot(model);
  const std::string expected = "Error(s) in loading state_dict for TheModelClass:\n" + kSizeMismatches;
  CHECK_THROWS_WITH_AS(model.load_state_dict(broken_state_dict(model), /*strict=*/false),
                       expected.c_str(), Error);
  // PyTorch has copied conv1.weight and the other tensors that fit by the time it raises.
  CHECK(unchanged(model, before));
}

TEST_CASE("load_state_dict: keys are reported module by module, as PyTorch walks the model") {
  // Sequential(Sequential(Linear(2, 2)), Linear(2, 1)); the dict's order is not the report's.
  auto model = std::make_shared<nn::Sequential>(
      std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(2, 2)),
      std::make_shared<nn::Linear>(2, 1));
  nn::StateDict sd;
  sd.set("1.extra", zeros({1}));
  sd.set("0.5.weight", zeros({1}));
  sd.set("x", zeros({1}));
  for (const auto& [key, value] : model->state_dict()) sd.set(key, value);
  sd.erase("1.bias");
  const std::vector<Tensor> before = snapshot(*model);

  nn::StateDict wrong_shape = sd;
  wrong_shape.set("0.0.weight", zeros({2}));
  CHECK_THROWS_WITH_AS(
      model->load_state_dict(wrong_shape),
      "Error(s) in loading state_dict for Sequential:\n"
      "\tMissing key(s) in state_dict: \"1.bias\". \n"
      "\tUnexpected key(s) in state_dict: \"x\", \"0.5.weight\", \"1.extra\". \n"
      "\tsize mismatch for 0.0.weight: copying a param with shape torch.Size([2]) from "
      "checkpoint, the shape in current model is torch.Size([2, 2]).",
      Error);
  CHECK(unchanged(*model, before));

  sd.erase("0.0.weight");
  sd.set("1.weight", full({1, 2}, 0.5));
  const nn::LoadResult result = model->load_state_dict(sd, /*strict=*/false);
  CHECK(result.missing_keys == std::vector<std::string>{"0.0.weight", "1.bias"});
  CHECK(result.unexpected_keys == std::vector<std::string>{"x", "0.5.weight", "1.extra"});
  CHECK(equal(model->state_dict().at("1.weight"), full({1, 2}, 0.5)));  // what fits is loaded
}

TEST_CASE("load_state_dict: unexpected keys PyTorch passes over in silence are reported too") {
  // PyTorch's strict load ignores "fc1.weight.x" (it stops at the tensor fc1.weight) and a
  // bare "fc1" (a child's name); strict promises that the keys match, so ember names them.
  TheModelClass model;
  nn::StateDict sd = model.state_dict();
  sd.set("fc1.extra", zeros({1}));
  sd.set("zzz", zeros({1}));
  CHECK_THROWS_WITH_AS(model.load_state_dict(sd),
                       "Error(s) in loading state_dict for TheModelClass:\n"
                       "\tUnexpected key(s) in state_dict: \"zzz\", \"fc1.extra\". ",
                       Error);  // PyTorch's message, word for word
  sd.set("fc1.weight.x", zeros({1}));
  sd.set("fc1", zeros({1}));
  const nn::LoadResult result = model.load_state_dict(sd, /*strict=*/false);
  CHECK(result.missing_keys.empty());
  CHECK(result.unexpected_keys == std::vector<std::string>{"zzz", "fc1", "fc1.extra", "fc1.weight.x"});
}

TEST_CASE("load_state_dict: an undefined tensor is an error that names its key") {
  nn::Linear linear(2, 1);
  const std::vector<Tensor> before = snapshot(linear);
  nn::StateDict sd = linear.state_dict();
  sd.set("bias", Tensor());
  CHECK_THROWS_WITH_AS(linear.load_state_dict(sd),
                       "Error(s) in loading state_dict for Linear:\n"
                       "\tWhile copying the parameter named \"bias\", expected torch.Tensor or "
                       "Tensor-like object from checkpoint but received an undefined tensor",
                       Error);
  CHECK(unchanged(linear, before));
}

TEST_CASE("size_repr prints a shape as Python prints a torch.Size") {
  // str(torch.zeros(2, 3).shape), str(torch.zeros(3).shape), str(torch.zeros(()).shape)
  CHECK(size_repr({2, 3}) == "torch.Size([2, 3])");
  CHECK(size_repr({3}) == "torch.Size([3])");
  CHECK(size_repr({}) == "torch.Size([])");
  CHECK(shape_str({3}) == "(3,)");  // messages from check() keep Python's tuples
}
