// Shared by the whole-model tests: the tutorial's TheModelClass and the golden-file helpers.
#pragma once

#include <cmath>
#include <fstream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "examples/the_model_class.h"
#include "tests/golden.h"
#include "ember/tensor/factories.h"

namespace ember::testing {

using examples::TheModelClass;

// {"shape": [...], "values": [...]} -> a float32 tensor (int64 when asked).
inline Tensor tensor_from_json(const nlohmann::json& j, Dtype dtype = kFloat32) {
  Shape shape = j.at("shape").get<Shape>();
  std::vector<double> values = j.at("values").get<std::vector<double>>();
  return tensor(values, shape.empty() ? Shape{} : shape, dtype).view(shape);
}

inline nn::StateDict state_dict_from_json(const nlohmann::json& j) {
  nn::StateDict sd;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const bool counter = it.key().find("num_batches_tracked") != std::string::npos;
    sd.set(it.key(), tensor_from_json(it.value(), counter ? kInt64 : kFloat32));
  }
  return sd;
}

// max |a - b| <= rtol * max |b| + atol. The absolute floor only matters for gradients that are
// zero in exact arithmetic (a conv bias before BatchNorm in train mode), where both sides hold
// rounding noise around 1e-9.
inline bool matches(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-7) {
  if (a.shape() != b.shape()) return false;
  std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    diff = std::max(diff, std::abs(x[i] - y[i]));
    scale = std::max(scale, std::abs(y[i]));
  }
  return diff <= rtol * scale + atol;
}

}  // namespace ember::testing
