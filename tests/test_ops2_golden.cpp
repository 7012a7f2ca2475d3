// Golden values from PyTorch for sort, topk, min, maximum/minimum, gather, scatter_add, var,
// std, cumsum and the softmax methods: every case of tests/fixtures/ops2_golden.json (written
// by scripts/make_ops2_goldens.py), forward result and input gradients of sum(out * weight).
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"
#include "golden.h"

using namespace ember;
using nlohmann::json;

namespace {

using Inputs = std::vector<Tensor>;
using OpFn = std::function<Tensor(const Inputs&, const json&)>;

std::int64_t int_param(const json& p, const char* key) { return p[key].get<std::int64_t>(); }
bool bool_param(const json& p, const char* key) { return p[key].get<bool>(); }
VarOptions var_options(const json& p) {
  return VarOptions().correction(p["correction"].get<double>()).keepdim(bool_param(p, "keepdim"));
}

// Twins of OPS in scripts/make_ops2_goldens.py; free functions and methods alternate, so
// that both forms are exercised.
const std::map<std::string, OpFn>& ops() {
  static const std::map<std::string, OpFn> table = {
      {"sort_values", [](const Inputs& x, const json& p) {
         return sort(x[0], int_param(p, "dim"), bool_param(p, "descending")).first;
       }},
      {"sort_indices", [](const Inputs& x, const json& p) {
         return x[0].sort(int_param(p, "dim"), bool_param(p, "descending")).second;
       }},
      {"topk_values", [](const Inputs& x, const json& p) {
         return topk(x[0], int_param(p, "k"), int_param(p, "dim"), bool_param(p, "largest")).first;
       }},
      {"topk_indices", [](const Inputs& x, const json& p) {
         return x[0].topk(int_param(p, "k"), int_param(p, "dim"), bool_param(p, "largest")).second;
       }},
      {"min_dim", [](const Inputs& x, const json& p) {
         return x[0].min(int_param(p, "dim"), bool_param(p, "keepdim")).first;
       }},
      {"min_dim_indices", [](const Inputs& x, const json& p) {
         return min(x[0], int_param(p, "dim"), bool_param(p, "keepdim")).second;
       }},
      {"min_all", [](const Inputs& x, const json&) { return min(x[0]); }},
      {"argmin", [](const Inputs& x, const json& p) {
         return x[0].argmin(int_param(p, "dim"), bool_param(p, "keepdim"));
       }},
      {"maximum", [](const Inputs& x, const json&) { return maximum(x[0], x[1]); }},
      {"minimum", [](const Inputs& x, const json&) { return x[0].minimum(x[1]); }},
      {"gather", [](const Inputs& x, const json& p) { return gather(x[0], int_param(p, "dim"), x[1]); }},
      {"scatter_add", [](const Inputs& x, const json& p) {
         return scatter_add(x[0], int_param(p, "dim"), x[1], x[2]);
       }},
      {"var", [](const Inputs& x, const json& p) {
         return var(x[0], p["dims"].get<Shape>(), var_options(p));
       }},
      {"std", [](const Inputs& x, const json& p) {
         return x[0].std(p["dims"].get<Shape>(), var_options(p));
       }},
      {"cumsum", [](const Inputs& x, const json& p) { return x[0].cumsum(int_param(p, "dim")); }},
      {"softmax", [](const Inputs& x, const json& p) { return x[0].softmax(int_param(p, "dim")); }},
      {"log_softmax", [](const Inputs& x, const json& p) {
         return x[0].log_softmax(int_param(p, "dim"));
       }},
  };
  return table;
}

// The script writes NaN and infinities as strings.
std::vector<double> numbers(const json& data) {
  std::vector<double> out;
  for (const json& v : data) {
    if (!v.is_string()) out.push_back(v.get<double>());
    else if (v == "nan") out.push_back(std::nan(""));
    else out.push_back(v == "inf" ? INFINITY : -INFINITY);
  }
  return out;
}

Tensor from_json(const json& spec, const json& data, Dtype dtype) {
  const Shape shape = spec["shape"].get<Shape>();
  const std::vector<double> values = numbers(data);
  if (values.empty()) return zeros(shape, dtype);
  Tensor t = tensor(values, shape.empty() ? Shape{1} : shape, dtype);
  return shape.empty() ? t.reshape({}) : t;
}

// Largest |actual - expected| / max(|expected|, a tenth of the largest |expected|), as in
// test_ops_golden.cpp; NaN must meet NaN, and any other NaN is the worst error.
double max_relative_error(const Tensor& actual, const json& expected) {
  const std::vector<double> a = actual.to_vector<double>();
  const std::vector<double> e = numbers(expected);
  REQUIRE(a.size() == e.size());
  double scale = 0.0;
  for (double v : e) {
    if (std::isfinite(v)) scale = std::max(scale, std::abs(v));
  }
  const double floor = std::max(scale * 0.1, 1e-30);
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(e[i]) && std::isnan(a[i])) continue;
    const double err = std::abs(a[i] - e[i]) / std::max(std::abs(e[i]), floor);
    if (!(err <= worst)) worst = err;
  }
  return worst;
}

}  // namespace

TEST_CASE("golden: sorting, indexing and statistics ops match PyTorch, forward and backward") {
  const json& cases = testing::fixture_json("ops2_golden.json")["cases"];
  REQUIRE(cases.size() >= 60);
  for (const json& c : cases) {
    const std::string name = c["name"].get<std::string>();
    CAPTURE(name);
    auto op = ops().find(c["op"].get<std::string>());
    REQUIRE(op != ops().end());
    Inputs inputs;
    for (const json& spec : c["inputs"]) {
      Tensor t = from_json(spec, spec["data"], dtype_from_name(spec["dtype"].get<std::string>()));
      if (spec["requires_grad"].get<bool>()) t.requires_grad_();
      inputs.push_back(t);
    }
    const Tensor out = op->second(inputs, c["params"]);
    const json& expected = c["output"];
    CHECK(out.shape() == expected["shape"].get<Shape>());
    CHECK(dtype_name(out.dtype()) == expected["dtype"].get<std::string>());
    const double tolerance = out.dtype() == kFloat32 ? 1e-5 : 1e-12;
    CHECK(max_relative_error(out, expected["data"]) <= tolerance);

    if (c["weight"].is_null()) continue;
    out.backward(from_json(expected, c["weight"], out.dtype()));
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
