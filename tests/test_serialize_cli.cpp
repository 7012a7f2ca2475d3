// The `ember` command (tools/ember_cli.cpp): inspect, inspect --json, convert, and one line
// on stderr with exit code 1 for a file it cannot read.
#include <doctest/doctest.h>


#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "ember/optim/optim.h"
#include "ember/serialize/serialize.h"
#include "ember/tensor/factories.h"
#include "tests/test_serialize_helpers.h"
#include "tests/programs.h"

using namespace ember;

namespace {

using Result = test::ProgramResult;

Result run_ember(const std::string& args) { return test::run_ember(args, "serialize_cli_test"); }
using test::have_ember;

// `ember inspect --json` writes inf and nan as Python's json module does (Infinity, -Infinity,
// NaN), which strict JSON, and so nlohmann's parser, lacks: outside strings they become the
// strings "inf", "-inf" and "nan" that test::json_number reads.
nlohmann::json parse_python_json(const std::string& text) {
  std::string strict;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      strict += c;
      if (c == '\\') strict += text[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    bool replaced = false;
    for (const auto& [token, name] : {std::pair<std::string, std::string>{"Infinity", "inf"},
                                      {"-Infinity", "-inf"},
                                      {"NaN", "nan"}}) {
      if (text.compare(i, token.size(), token) == 0) {
        strict += '"' + name + '"';
        i += token.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) strict += c;
    in_string = !replaced && c == '"';
  }
  return nlohmann::json::parse(strict);
}

}  // namespace

TEST_CASE("ember inspect prints keys, dtypes, shapes, scalars and param_groups") {
  if (!have_ember()) return;
  Result r = run_ember("inspect " + test::fixture("checkpoint.pt"));
  CHECK(r.status == 0);
  CHECK(r.out.find("epoch                 5\n") != std::string::npos);
  CHECK(r.out.find("  conv1.weight            float32 [2, 1, 3, 3]\n") != std::string::npos);
  CHECK(r.out.find("  bn.num_batches_tracked  int64 []\n") != std::string::npos);
  CHECK(r.out.find("'lr': 0.01, 'momentum': 0.9") != std::string::npos);
  CHECK(r.out.find("'params': [0, 1, 2, 3, 4, 5]") != std::string::npos);
  CHECK(r.out.find("loss                  0.4375\n") != std::string::npos);
}

TEST_CASE("ember inspect --json gives the tree with tensors as dtype, shape and sum") {
  if (!have_ember()) return;
  Result r = run_ember("inspect --json " + test::fixture("checkpoint.pt"));
  REQUIRE(r.status == 0);
  const nlohmann::json j = parse_python_json(r.out);
  CHECK(j["epoch"] == 5);
  CHECK(j["loss"] == 0.4375);
  CHECK(j["nested"][6] == nlohmann::json::parse(R"([null, true, false, "s"])"));
  CHECK(j["nested"][7]["3"] == "int key");
  CHECK(j["nested"][7]["x"][0] == 1.5);
  CHECK(test::json_number(j["nested"][7]["x"][1]) == INFINITY);  // nlohmann alone writes null
  const nlohmann::json& w = j["model_state_dict"]["conv1.weight"];
  CHECK(w["dtype"] == "float32");
  CHECK(w["shape"] == nlohmann::json::parse("[2, 1, 3, 3]"));
  double sum = 0;
  for (double x : load(test::fixture("checkpoint.pt")).at("model_state_dict").at("conv1.weight").as_tensor().to_vector<double>()) {
    sum += x;
  }
  CHECK(w["sum"].get<double>() == doctest::Approx(sum).epsilon(1e-12));
  Result d = run_ember("inspect --json " + test::fixture("dtypes.pt"));
  const nlohmann::json dt = nlohmann::json::parse(d.out);
  CHECK(dt["bool"] == nlohmann::json::parse(R"({"dtype": "bool", "shape": [3], "sum": 2.0})"));
  CHECK(dt["bf16"]["dtype"] == "bfloat16");
  CHECK(dt["i8"]["sum"] == -3.0);
}

TEST_CASE("ember inspect --json writes inf, -inf and nan as Python's json: Infinity, NaN") {
  if (!have_ember()) return;
  // ReduceLROnPlateau's state_dict holds mode_worse = inf (best too, before any step), as in
  // a Lightning checkpoint; tensor sums can overflow or be nan as well.
  Tensor w = zeros({2}).requires_grad_();
  optim::SGD sgd({w}, optim::SGDOptions(0.1));
  optim::ReduceLROnPlateau plateau(sgd);
  const double inf = std::numeric_limits<double>::infinity();
  const std::string path = test::scratch("cli_nonfinite.pt");
  save(Value{{"scheduler", plateau.state_dict()},
             {"floats", Value::list({inf, -inf, std::nan("")})},
             {"inf", tensor({1.0, inf})},
             {"nan", tensor({1.0, std::nan("")})}},
       path);
  Result r = run_ember("inspect --json " + path);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("\"mode_worse\": Infinity,\n") != std::string::npos);
  CHECK(r.out.find("\"floats\": [\n    Infinity,\n    -Infinity,\n    NaN\n  ]") !=
        std::string::npos);
  CHECK(r.out.find("\"sum\": Infinity\n") != std::string::npos);
  CHECK(r.out.find("\"sum\": NaN\n") != std::string::npos);
  CHECK(r.out.find("null") == std::string::npos);

  if (std::system("/usr/bin/python3 -c '' >/dev/null 2>&1") != 0) {
    MESSAGE("skipped: no /usr/bin/python3 to read the JSON back");
    return;
  }
  const std::string json_path = test::scratch("cli_nonfinite.json");
  test::write_file(json_path, r.out);
  const std::string check =
      "import json, math, sys; d = json.load(sys.stdin); inf = float('inf'); "
      "assert d['scheduler']['mode_worse'] == inf and d['scheduler']['best'] == inf; "
      "a, b, c = d['floats']; assert a == inf and b == -inf and math.isnan(c); "
      "assert d['inf']['sum'] == inf and math.isnan(d['nan']['sum']); "
      "assert d['scheduler']['factor'] == 0.1";
  CHECK(std::system(("/usr/bin/python3 -c \"" + check + "\" < " + json_path).c_str()) == 0);
}

TEST_CASE("ember convert turns .pt into .safetensors and back") {
  if (!have_ember()) return;
  const std::string st = test::scratch("cli.safetensors");
  const std::string pt = test::scratch("cli_back.pt");
  CHECK(run_ember("convert " + test::fixture("state_dict.pt") + " " + st).status == 0);
  CHECK(run_ember("convert " + st + " " + pt).status == 0);
  Value original = load(test::fixture("state_dict.pt"));
  Value back = load(pt);
  REQUIRE(back.size() == original.size());
  for (std::size_t i = 0; i < original.size(); ++i) {
    CHECK(back.keys()[i] == original.keys()[i]);
    CHECK(back.values()[i].as_tensor().to_vector<double>() == original.values()[i].as_tensor().to_vector<double>());
  }
  Result r = run_ember("convert " + test::fixture("checkpoint.pt") + " " + st);
  CHECK(r.status == 1);
  CHECK(r.err.find("key 'epoch'") != std::string::npos);
}

TEST_CASE("ember: an unreadable file gives one line on stderr and exit code 1") {
  if (!have_ember()) return;
  // A quantized tensor: refused even where pickled objects are read as structure.
  const std::string quantized = std::string(EMBER_SOURCE_DIR) + "/tests/fixtures/model_files/quantized.pt";
  for (const std::string& file : {test::legacy_fixture("tar_format.pt"), quantized, test::scratch("missing.pt")}) {
    Result r = run_ember("inspect " + file);
    CHECK(r.status == 1);
    CHECK(r.out.empty());
    CHECK(r.err.find(file) != std::string::npos);
    CHECK(r.err.find('\n') == r.err.size() - 1);
  }
}
