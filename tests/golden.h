// Golden values from PyTorch: the committed JSON fixtures that scripts/make_*_goldens.py write
// (tests/fixtures/), read once per test run, and the relative error tests compare against.
#pragma once

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ember/tensor/error.h"
#include "ember/tensor/tensor.h"

namespace ember::testing {

// A JSON file of the source tree, e.g. "tests/fixtures/model_golden.json".
inline nlohmann::json load_json(const std::string& relative_path) {
  std::ifstream in(std::string(EMBER_SOURCE_DIR) + "/" + relative_path);
  if (!in) throw Error("cannot open fixture " + relative_path);
  return nlohmann::json::parse(in);
}

// tests/fixtures/<name>, parsed on first use and kept: several test cases read the same file.
inline const nlohmann::json& fixture_json(const std::string& name) {
  static std::map<std::string, nlohmann::json> parsed;
  auto it = parsed.find(name);
  if (it == parsed.end()) it = parsed.emplace(name, load_json("tests/fixtures/" + name)).first;
  return it->second;
}

// max |a - b| / max |b|: the relative error of a whole tensor (the absolute error when b is all
// zeros; infinite when the shapes differ, so that any tolerance check fails).
inline double relative_error(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return INFINITY;
  const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    diff = std::max(diff, std::abs(x[i] - y[i]));
    scale = std::max(scale, std::abs(y[i]));
  }
  return scale == 0 ? diff : diff / scale;
}

}  // namespace ember::testing
