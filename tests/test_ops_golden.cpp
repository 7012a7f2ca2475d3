// Golden values from PyTorch: every case in tests/fixtures/ops_golden.json (written by
// scripts/make_op_goldens.py) is run through ember and compared, forward result and input
// gradients of sum(out * weight), within a relative error of 1e-5 for float32.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"

using namespace ember;
using nlohmann::json;

namespace {

using Inputs = std::vector<Tensor>;
using OpFn = std::function<Tensor(const Inputs&, const json&)>;

// Twins of OPS in scripts/make_op_goldens.py.
const std::map<std::string, OpFn>& ops() {
  static const std::map<std::string, OpFn> table = {
      {"add", [](const Inputs& x, const json&) { return x[0] + x[1]; }},
      {"add_alpha", [](const Inputs& x, const json& p) { return add(x[0], x[1], p["alpha"].get<double>()); }},
      {"sub", [](const Inputs& x, const json&) { return x[0] - x[1]; }},
      {"mul", [](const Inputs& x, const json&) { return x[0] * x[1]; }},
      {"div", [](const Inputs& x, const json&) { return x[0] / x[1]; }},
      {"scalar_mix", [](const Inputs& x, const json&) { return (2.5 - x[0]) * 3.0 / 4.0 + 1.25; }},
      {"neg", [](const Inputs& x, const json&) { return -x[0]; }},
      {"pow", [](const Inputs& x, const json& p) { return pow(x[0], p["exponent"].get<double>()); }},
      {"exp", [](const Inputs& x, const json&) { return exp(x[0]); }},
      {"log", [](const Inputs& x, const json&) { return log(x[0]); }},
      {"sqrt", [](const Inputs& x, const json&) { return sqrt(x[0]); }},
      {"abs", [](const Inputs& x, const json&) { return abs(x[0]); }},
      {"tanh", [](const Inputs& x, const json&) { return tanh(x[0]); }},
      {"sigmoid", [](const Inputs& x, const json&) { return sigmoid(x[0]); }},
      {"relu", [](const Inputs& x, const json&) { return relu(x[0]); }},
      {"clamp", [](const Inputs& x, const json& p) {
         return clamp(x[0], p["min"].get<double>(), p["max"].get<double>());
       }},
      {"sum", [](const Inputs& x, const json&) { return x[0].sum(); }},
      {"sum_dims", [](const Inputs& x, const json& p) {
         return x[0].sum(p["dims"].get<Shape>(), p["keepdim"].get<bool>());
       }},
      {"mean", [](const Inputs& x, const json&) { return x[0].mean(); }},
      {"mean_dims", [](const Inputs& x, const json& p) {
         return x[0].mean(p["dims"].get<Shape>(), p["keepdim"].get<bool>());
       }},
      {"max", [](const Inputs& x, const json&) { return x[0].max(); }},
      {"max_dim", [](const Inputs& x, const json& p) {
         return x[0].max(p["dim"].get<std::int64_t>(), p["keepdim"].get<bool>()).first;
       }},
      {"max_dim_indices", [](const Inputs& x, const json& p) {
         return x[0].max(p["dim"].get<std::int64_t>(), p["keepdim"].get<bool>()).second;
       }},
      {"argmax", [](const Inputs& x, const json& p) {
         return x[0].argmax(p["dim"].get<std::int64_t>(), p["keepdim"].get<bool>());
       }},
      {"matmul", [](const Inputs& x, const json&) { return matmul(x[0], x[1]); }},
      {"matmul_transposed", [](const Inputs& x, const json&) { return matmul(x[0], x[1].t()); }},
      {"cat", [](const Inputs& x, const json& p) { return cat(x, p["dim"].get<std::int64_t>()); }},
      {"stack", [](const Inputs& x, const json& p) { return stack(x, p["dim"].get<std::int64_t>()); }},
      {"where", [](const Inputs& x, const json&) { return where(x[0], x[1], x[2]); }},
      {"eq", [](const Inputs& x, const json&) { return eq(x[0], x[1]); }},
      {"gt", [](const Inputs& x, const json&) { return gt(x[0], x[1]); }},
      {"permute_reshape", [](const Inputs& x, const json&) {
         return x[0].permute({2, 0, 1}).reshape({4, -1});
       }},
      {"transpose_narrow_select", [](const Inputs& x, const json&) {
         return x[0].transpose(0, 1).narrow(0, 1, 2).select(2, 1);
       }},
      {"expand_unsqueeze", [](const Inputs& x, const json&) {
         return x[0].unsqueeze(1).expand({3, 2, 4}) * x[1];
       }},
      {"softmax", [](const Inputs& x, const json&) {
         Tensor e = exp(x[0] - x[0].max(1, true).first);
         return e / e.sum({1}, true);
       }},
      {"mlp_mse", [](const Inputs& x, const json&) {
         return (tanh(matmul(x[0], x[1].t()) + x[2]) - x[3]).pow(2.0).mean();
       }},
  };
  return table;
}

Tensor from_json(const json& spec, Dtype dtype) {
  const Shape shape = spec["shape"].get<Shape>();
  Tensor t = tensor(spec["data"].get<std::vector<double>>(), shape.empty() ? Shape{1} : shape, dtype);
  return shape.empty() ? t.reshape({}) : t;
}

// Largest |actual - expected| / max(|expected|, floor) over the elements. Elements far below
// the tensor's largest magnitude come out of cancellation (a softmax gradient is
// s * (w - sum(s * w))), where float32 keeps only the absolute precision of the large terms;
// PyTorch's own float32 result is then ~1e-5 off the float64 truth. So elements under a tenth
// of the largest are measured against that tenth.
double max_relative_error(const Tensor& actual, const json& expected) {
  const std::vector<double> a = actual.to_vector<double>();
  const std::vector<double> e = expected.get<std::vector<double>>();
  REQUIRE(a.size() == e.size());
  double scale = 0.0;
  for (double v : e) scale = std::max(scale, std::abs(v));
  const double floor = std::max(scale * 0.1, 1e-30);
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double err = std::abs(a[i] - e[i]) / std::max(std::abs(e[i]), floor);
    if (!(err <= worst)) worst = err;  // nan counts as the worst
  }
  return worst;
}

}  // namespace

TEST_CASE("golden: ops match PyTorch, forward and backward") {
  std::ifstream file(std::string(EMBER_SOURCE_DIR) + "/tests/fixtures/ops_golden.json");
  REQUIRE(file.good());
  const json fixture = json::parse(file);
  const json& cases = fixture["cases"];
  REQUIRE(cases.size() >= 25);
  for (const json& c : cases) {
    const std::string name = c["name"].get<std::string>();
    CAPTURE(name);
    auto op = ops().find(c["op"].get<std::string>());
    REQUIRE(op != ops().end());
    Inputs inputs;
    for (const json& spec : c["inputs"]) {
      Tensor t = from_json(spec, dtype_from_name(spec["dtype"].get<std::string>()));
      if (spec["requires_grad"].get<bool>()) t.requires_grad_();
      inputs.push_back(t);
    }
    const Tensor out = op->second(inputs, c["params"]);
    const json& expected = c["output"];
    CHECK(out.shape() == expected["shape"].get<Shape>());
    CHECK(dtype_name(out.dtype()) == expected["dtype"].get<std::string>());
    const bool f32 = out.dtype() == kFloat32;
    const double tolerance = f32 ? 1e-5 : 1e-12;
    CHECK(max_relative_error(out, expected["data"]) <= tolerance);

    if (c["weight"].is_null()) continue;
    out.backward(from_json({{"shape", expected["shape"]}, {"data", c["weight"]}}, out.dtype()));
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      CAPTURE(i);
      const json& grad = c["grads"][i];
      if (grad.is_null()) {
        CHECK_FALSE(inputs[i].grad().defined());
        continue;
      }
      REQUIRE(inputs[i].grad().defined());
      CHECK(inputs[i].grad().shape() == inputs[i].shape());
      CHECK(max_relative_error(inputs[i].grad(), grad) <= tolerance);
    }
  }
}
