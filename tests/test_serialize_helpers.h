// Helpers for the serialize tests: compare a loaded Value with PyTorch's description of the
// same object (tests/interop/common.py describe()), and read/write whole files.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "ember/core/value.h"
#include "ember/nn/state_dict.h"
#include "tests/programs.h"

namespace ember::test {

inline std::string fixture(const std::string& name) {
  return std::string(EMBER_SOURCE_DIR) + "/tests/fixtures/serialize/" + name;
}

inline std::string legacy_fixture(const std::string& name) {
  return std::string(EMBER_SOURCE_DIR) + "/tests/fixtures/legacy/" + name;
}

// A scratch path under the build directory, unique per test name.
inline std::string scratch(const std::string& name) {
  return std::string(EMBER_BINARY_DIR) + "/serialize_test_" + name;
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline nlohmann::json expected_json() {
  return nlohmann::json::parse(read_file(fixture("expected.json")));
}

inline double json_number(const nlohmann::json& j) {
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "inf") return INFINITY;
    if (s == "-inf") return -INFINITY;
    return NAN;
  }
  return j.get<double>();
}

// Checks v against PyTorch's description; `where` names the path for failure messages.
inline void check_matches(const Value& v, const nlohmann::json& e, const std::string& where) {
  INFO(where);
  if (e.is_null()) {
    CHECK(v.is_none());
  } else if (e.is_boolean()) {
    REQUIRE(v.is_bool());
    CHECK(v.as_bool() == e.get<bool>());
  } else if (e.is_number_integer()) {
    REQUIRE(v.is_int());
    CHECK(v.as_int() == e.get<std::int64_t>());
  } else if (e.is_string()) {
    REQUIRE(v.is_string());
    CHECK(v.as_string() == e.get<std::string>());
  } else if (e.is_array()) {
    REQUIRE(v.is_list());
    REQUIRE(v.size() == e.size());
    for (std::size_t i = 0; i < e.size(); ++i) check_matches(v.items()[i], e[i], where + "[" + std::to_string(i) + "]");
  } else if (e.contains("__float__")) {
    REQUIRE(v.is_double());
    const double want = json_number(e["__float__"]);
    CHECK((v.as_double() == want || (std::isnan(want) && std::isnan(v.as_double()))));
  } else if (e.contains("__tuple__")) {
    REQUIRE(v.is_tuple());
    REQUIRE(v.size() == e["__tuple__"].size());
    for (std::size_t i = 0; i < v.size(); ++i) check_matches(v.items()[i], e["__tuple__"][i], where + "(" + std::to_string(i) + ")");
  } else if (e.contains("__dict__")) {
    REQUIRE(v.is_dict());
    const auto& items = e["__dict__"];
    REQUIRE(v.size() == items.size());
    CHECK(v.is_ordered_dict() == e.value("ordered", false));
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto& key = items[i][0];
      Key k = key.is_string() ? Key(key.get<std::string>()) : Key(key.get<std::int64_t>());
      CHECK(v.keys()[i] == k);
      check_matches(v.values()[i], items[i][1], where + "[" + key_str(k) + "]");
    }
    if (e.contains("metadata")) check_matches(v.metadata(), e["metadata"], where + "._metadata");
    else CHECK(v.metadata().is_none());
  } else {
    REQUIRE(v.is_tensor());
    const Tensor& t = v.as_tensor();
    CHECK(std::string(dtype_name(t.dtype())) == e["dtype"].get<std::string>());
    CHECK(t.shape() == e["shape"].get<Shape>());
    CHECK(t.strides() == e["stride"].get<Shape>());
    CHECK(t.storage_offset() == e["offset"].get<std::int64_t>());
    CHECK(t.requires_grad() == e["requires_grad"].get<bool>());
    std::vector<double> values = t.to_vector<double>();
    REQUIRE(values.size() == e["values"].size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      const double want = json_number(e["values"][i]);
      if (values[i] != want) {
        FAIL_CHECK("element " << i << " is " << values[i] << ", PyTorch has " << want);
        break;
      }
    }
  }
}

// The `ember` command built beside the tests, run with args in the scratch folder `folder`.
inline std::string ember_cli() { return std::string(EMBER_BINARY_DIR) + "/tools/ember"; }

inline ProgramResult run_ember(const std::string& args, const std::string& folder) {
  return run_program(ember_cli() + " " + args, folder);
}

// False, with a message, when the command was not built (EMBER_BUILD_TOOLS=OFF).
inline bool have_ember() {
  if (FILE* f = std::fopen(ember_cli().c_str(), "r")) {
    std::fclose(f);
    return true;
  }
  MESSAGE("skipped: ", ember_cli(), " is not built");
  return false;
}

// Checks a state_dict against a fixture script's [[key, {dtype, shape, values}], ...]: keys in
// order, dtypes, shapes, values, and that the tensors are detached, as state_dict() gives them.
inline void check_state_dict(const nn::StateDict& got, const nlohmann::json& want, const std::string& where = "") {
  INFO(where);
  REQUIRE(got.size() == want.size());
  std::size_t i = 0;
  for (const auto& item : got) {
    const std::string& key = item.first;
    const Tensor& tensor = item.second;
    const nlohmann::json& entry = want[i++];
    CAPTURE(key);
    CHECK(key == entry[0].get<std::string>());
    CHECK(std::string(dtype_name(tensor.dtype())) == entry[1]["dtype"].get<std::string>());
    CHECK(tensor.shape() == entry[1]["shape"].get<Shape>());
    CHECK_FALSE(tensor.requires_grad());
    CHECK(tensor.to_vector<double>() == entry[1]["values"].get<std::vector<double>>());
  }
}

}  // namespace ember::test
