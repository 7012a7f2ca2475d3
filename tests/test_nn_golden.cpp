// ember's nn functions against PyTorch's numbers (tests/fixtures/nn_golden.json, made by
// scripts/make_nn_goldens.py): outputs, gradients, running statistics, reprs and gains.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "ember/nn/activation.h"
#include "ember/nn/batch_norm.h"
#include "ember/nn/dropout.h"
#include "ember/nn/flatten.h"
#include "ember/nn/functional.h"
#include "ember/nn/init.h"
#include "ember/nn/linear.h"
#include "ember/nn/loss.h"
#include "ember/nn/module_list.h"
#include "ember/nn/sequential.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "tests/golden.h"

namespace ember {
namespace {

namespace F = nn::functional;
using json = nlohmann::json;

const json& golden() { return testing::fixture_json("nn_golden.json"); }

// {"shape", "dtype", "data"} -> a tensor.
Tensor decode(const json& j) {
  const Shape shape = j.at("shape").get<Shape>();
  const Dtype dtype = dtype_from_name(j.at("dtype").get<std::string>());
  // The factories read an empty shape as 1-D; view() makes 0-d tensors 0-d.
  if (dtype == kInt64) return tensor_int64(j.at("data").get<std::vector<std::int64_t>>()).view(shape);
  return tensor(j.at("data").get<std::vector<double>>(), {}, dtype).view(shape);
}

// max |a - b| / max |b| over the whole tensor (the absolute error when b is all zeros).
double rel_error(const Tensor& a, const Tensor& b) {
  if (!a.defined() || a.shape() != b.shape()) return INFINITY;
  const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) != std::isnan(y[i])) return INFINITY;
    if (std::isnan(y[i])) continue;
    diff = std::max(diff, std::abs(x[i] - y[i]));
    scale = std::max(scale, std::abs(y[i]));
  }
  return scale == 0 ? diff : diff / scale;
}

constexpr double kTolerance = 1e-5;

// Tracks the worst error seen in a test case and reports it.
struct Worst {
  double value = 0;
  std::string where;
  void check(const std::string& what, const Tensor& found, const Tensor& expected) {
    const double e = rel_error(found, expected);
    INFO(what, ": relative error ", e);
    CHECK(e <= kTolerance);
    if (e > value || where.empty()) {
      value = std::max(value, e);
      where = what;
    }
  }
};

Tensor leaf(const json& j) { return decode(j).requires_grad_(true); }
Tensor optional_param(const json& params, const char* key) {
  return params.contains(key) ? decode(params.at(key)) : Tensor();
}

// Runs one functional case and returns its output; inputs are the leaves it differentiates.
Tensor run_case(const json& c, std::map<std::string, Tensor>& inputs) {
  for (auto it = c.at("inputs").begin(); it != c.at("inputs").end(); ++it) {
    inputs[it.key()] = leaf(it.value());
  }
  const std::string op = c.at("op");
  const json& p = c.at("params");
  if (op == "linear") {
    return F::linear(inputs["input"], inputs["weight"],
                     inputs.count("bias") ? inputs["bias"] : Tensor());
  }
  if (op == "softmax") return F::softmax(inputs["input"], p.at("dim").get<std::int64_t>());
  if (op == "log_softmax") return F::log_softmax(inputs["input"], p.at("dim").get<std::int64_t>());
  if (op == "batch_norm") {
    const Tensor rm = decode(p.at("running_mean")), rv = decode(p.at("running_var"));
    Tensor out = F::batch_norm(inputs["input"], rm, rv,
                               F::BatchNormFuncOptions()
                                   .weight(inputs["weight"])
                                   .bias(inputs["bias"])
                                   .training(p.at("training"))
                                   .momentum(p.at("momentum"))
                                   .eps(p.at("eps")));
    CHECK(rel_error(rm, decode(p.at("running_mean_after"))) <= kTolerance);
    CHECK(rel_error(rv, decode(p.at("running_var_after"))) <= kTolerance);
    return out;
  }
  const nn::Reduction reduction(p.at("reduction").get<std::string>());
  if (op == "cross_entropy" || op == "nll_loss") {
    const Tensor target = decode(p.at("target")), weight = optional_param(p, "weight");
    const std::int64_t ignore = p.at("ignore_index");
    if (op == "nll_loss") {
      return F::nll_loss(
          inputs["input"], target,
          F::NLLLossFuncOptions().weight(weight).ignore_index(ignore).reduction(reduction));
    }
    return F::cross_entropy(inputs["input"], target,
                            F::CrossEntropyFuncOptions()
                                .weight(weight)
                                .ignore_index(ignore)
                                .reduction(reduction)
                                .label_smoothing(p.at("label_smoothing")));
  }
  if (op == "cross_entropy_probs") {
    return F::cross_entropy(inputs["input"], inputs["target"],
                            F::CrossEntropyFuncOptions()
                                .weight(optional_param(p, "weight"))
                                .reduction(reduction)
                                .label_smoothing(p.at("label_smoothing")));
  }
  if (op == "mse_loss") return F::mse_loss(inputs["input"], inputs["target"], reduction);
  FAIL("unknown op " << op);
  return Tensor();
}

TEST_CASE("nn functional ops match PyTorch's outputs and gradients") {
  Worst worst;
  int count = 0;
  for (const json& c : golden().at("cases")) {
    if (c.at("op") == "BatchNorm2d") continue;
    const std::string name = c.at("name");
    CAPTURE(name);
    std::map<std::string, Tensor> inputs;
    const Tensor out = run_case(c, inputs);
    worst.check(name + " output", out, decode(c.at("output")));
    out.backward(decode(c.at("grad_out")));
    for (auto it = c.at("grads").begin(); it != c.at("grads").end(); ++it) {
      worst.check(name + " grad " + it.key(), inputs[it.key()].grad(), decode(it.value()));
    }
    ++count;
  }
  CHECK(count > 50);
  MESSAGE("worst relative error vs PyTorch: ", worst.value, " (", worst.where, ")");
}

TEST_CASE("BatchNorm2d matches PyTorch over two training steps and in eval") {
  Worst worst;
  for (const json& c : golden().at("cases")) {
    if (c.at("op") != "BatchNorm2d") continue;
    const json& p = c.at("params");
    CAPTURE(c.at("name").get<std::string>());
    std::optional<double> momentum;
    if (!p.at("momentum").is_null()) momentum = p.at("momentum").get<double>();
    nn::BatchNorm2d bn(nn::BatchNorm2dOptions(3).momentum(momentum));
    bn.weight.detach().copy_(decode(p.at("weight")));
    bn.bias.detach().copy_(decode(p.at("bias")));
    for (const json& step : c.at("steps")) {
      bn.zero_grad();
      Tensor x = leaf(step.at("input"));
      Tensor y = bn(x);
      y.backward(decode(step.at("grad_out")));
      worst.check("output", y, decode(step.at("output")));
      worst.check("grad input", x.grad(), decode(step.at("grad_input")));
      worst.check("grad weight", bn.weight.grad(), decode(step.at("grad_weight")));
      worst.check("grad bias", bn.bias.grad(), decode(step.at("grad_bias")));
      worst.check("running_mean", bn.running_mean, decode(step.at("running_mean")));
      worst.check("running_var", bn.running_var, decode(step.at("running_var")));
      CHECK(bn.num_batches_tracked.item<std::int64_t>() == step.at("num_batches_tracked"));
    }
    bn.eval();
    worst.check("eval output", bn(decode(c.at("eval_input"))), decode(c.at("eval_output")));
  }
  MESSAGE("worst relative error vs PyTorch: ", worst.value, " (", worst.where, ")");
}

TEST_CASE("nn modules print exactly PyTorch's repr") {
  auto text = [](const char* key) { return golden().at("reprs").at(key).get<std::string>(); };
  CHECK(nn::Linear(400, 120).repr() == text("linear"));
  CHECK(nn::Linear(nn::LinearOptions(3, 2).bias(false)).repr() == text("linear_no_bias"));
  CHECK(nn::BatchNorm2d(16).repr() == text("batch_norm"));
  CHECK(nn::BatchNorm2d(nn::BatchNorm2dOptions(4)
                            .eps(1e-3)
                            .momentum(std::nullopt)
                            .affine(false)
                            .track_running_stats(false))
            .repr() == text("batch_norm_options"));
  CHECK(nn::Dropout().repr() == text("dropout"));
  CHECK(nn::Dropout(0.25).repr() == text("dropout_p"));
  CHECK(nn::ReLU().repr() == text("relu"));
  CHECK(nn::Tanh().repr() == text("tanh"));
  CHECK(nn::Sigmoid().repr() == text("sigmoid"));
  CHECK(nn::Softmax(1).repr() == text("softmax"));
  CHECK(nn::LogSoftmax(-1).repr() == text("log_softmax"));
  CHECK(nn::Flatten().repr() == text("flatten"));
  CHECK(nn::CrossEntropyLoss().repr() == text("cross_entropy_loss"));
  CHECK(nn::NLLLoss().repr() == text("nll_loss"));
  CHECK(nn::MSELoss().repr() == text("mse_loss"));
  const nn::Sequential seq(std::make_shared<nn::Linear>(4, 8), std::make_shared<nn::ReLU>(),
                           std::make_shared<nn::Dropout>(0.1), std::make_shared<nn::Linear>(8, 2));
  CHECK(seq.repr() == text("sequential"));
  const nn::ModuleList list({std::make_shared<nn::Linear>(2, 2), std::make_shared<nn::Tanh>()});
  CHECK(list.repr() == text("module_list"));
  const nn::Sequential nested(std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(2, 3)),
                              std::make_shared<nn::BatchNorm2d>(3));
  CHECK(nested.repr() == text("nested"));
}

TEST_CASE("calculate_gain equals PyTorch's values exactly") {
  const json& g = golden().at("gains");
  for (const char* name : {"linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"}) {
    CAPTURE(name);
    CHECK(nn::init::calculate_gain(name) == g.at(name).get<double>());
  }
  CHECK(nn::init::calculate_gain("leaky_relu", 0.2) == g.at("leaky_relu_0.2").get<double>());
}

}  // namespace
}  // namespace ember
