// Live: the installed PyTorch (1.13 here) runs torch.load(weights_only=True) on files ember
// wrote and on hand-made archives, and the weights_only checker, with 1.13's rules, must reach
// the same verdict on every one. Runs when /usr/bin/python3 can import torch.
#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "ember/ember.h"
#include "ember/serialize/zip_writer.h"
#include "examples/the_model_class.h"
#include "tests/test_serialize_helpers.h"
#include "tests/weights_only_checker.h"
#include "tests/weights_only_pickles.h"

using namespace ember;
using namespace std::string_literals;
using test::tensor_pickle;

namespace {

const std::string kPython = "/usr/bin/python3";

bool torch_installed() {
  return std::system((kPython + " -c 'import torch' >/dev/null 2>&1").c_str()) == 0;
}

std::string path_for(const std::string& name) { return test::scratch_path("weights_only_interop", name + ".pt"); }

// A torch.save-shaped archive around a hand-made pickle: <name>/data.pkl, the records, version.
std::string write_archive(const std::string& name, const std::string& pickle,
                          const std::map<std::string, std::string>& records = {}) {
  std::string bytes;
  serialize::ZipWriter zip([&bytes](const void* data, std::size_t size) {
    bytes.append(static_cast<const char*>(data), size);
  });
  zip.add(name + "/data.pkl", pickle.data(), pickle.size());
  for (const auto& [key, data] : records) zip.add(name + "/data/" + key, data.data(), data.size());
  zip.add(name + "/version", "3\n", 2);
  zip.finish();
  const std::string path = path_for(name);
  test::write_file(path, bytes);
  return path;
}

}  // namespace

TEST_CASE("weights_only interop: PyTorch 1.13's torch.load(weights_only=True) agrees with the checker") {
  if (!torch_installed()) {
    MESSAGE("skipped: /usr/bin/python3 cannot import torch (apt-get install python3-torch)");
    return;
  }
  std::vector<std::string> state_dicts, paths;
  auto save_as = [&](const Value& value, const std::string& name) {
    const std::string path = path_for(name);
    save(value, path);
    paths.push_back(path);
    return path;
  };
  examples::TheModelClass model;
  nn::Sequential net(std::make_shared<nn::Conv2d>(1, 2, 3), std::make_shared<nn::BatchNorm2d>(2),
                     std::make_shared<nn::ReLU>(), std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(8, 2));
  net(randn({2, 1, 4, 4}));  // BatchNorm's num_batches_tracked becomes 1
  Value bare = model.state_dict();
  bare.set_metadata(Value());
  state_dicts = {save_as(model.state_dict(), "model_state_dict"), save_as(net.state_dict(), "sequential_state_dict"),
                 save_as(bare, "no_metadata")};
  Tensor x = arange(0, 20, 1, kFloat64).view({4, 5});
  state_dicts.push_back(save_as(Value{{"x", x}, {"xt", x.t()}, {"col", x.select(1, 3)}, {"x_again", x}}, "views"));
  Value dtypes = Value::list();
  for (Dtype d : {kFloat32, kFloat64, kFloat16, kBFloat16, kInt64, kInt32, kInt16, kInt8, kUInt8, kBool}) {
    dtypes.append(arange(-2, 4, 1, kInt64).to(d));
  }
  state_dicts.push_back(save_as(dtypes, "dtypes"));
  optim::Adam adam(model.parameters());
  save_as(adam.state_dict(), "adam");  // floats: BINFLOAT, which 1.13 lacks
  save_as({{"epoch", 3}, {"model_state_dict", model.state_dict()}, {"big", std::int64_t{1} << 50},
           {"tags", Value::list({"a", Value::tuple({1, Value()}), true})}}, "checkpoint_without_floats");

  // Hand-made archives: refusals for opcodes, globals and semantics, and a few acceptances.
  const std::map<std::string, std::string> floats6{{"0", std::string(24, '\0')}};
  paths.push_back(write_archive("protocol4", "\x80\x04\x95\x0a\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01\x61\x94K\x01s."s));
  paths.push_back(write_archive("memoize", "\x80\x02]\x94."s));
  paths.push_back(write_archive("short_binunicode", "\x80\x02\x8c\x01\x61."s));
  paths.push_back(write_archive("os_system", "\x80\x02" "cos\nsystem\nX\x02\x00\x00\x00lsq\x01\x85R."s));
  paths.push_back(write_archive("builtins_set", "\x80\x02" "cbuiltins\nset\n]\x85R."s));
  paths.push_back(write_archive("binfloat", "\x80\x02G\x3f\xf0\x00\x00\x00\x00\x00\x00."s));
  paths.push_back(write_archive("build_list", "\x80\x02]}b."s));
  paths.push_back(write_archive("append_dict", "\x80\x02}Na."s));
  paths.push_back(write_archive("unhashable_key", "\x80\x02}]Ns."s));
  paths.push_back(write_archive("ordered_dict_build", "\x80\x02" "ccollections\nOrderedDict\n)R}b."s));
  paths.push_back(write_archive("ordered_dict_build_none", "\x80\x02" "ccollections\nOrderedDict\n)RNb."s));
  paths.push_back(write_archive("newobj_ordered_dict", "\x80\x02" "ccollections\nOrderedDict\n)\x81."s));
  paths.push_back(write_archive("dtype_called", "\x80\x02" "ctorch\nfloat32\n)R."s));
  paths.push_back(write_archive("not_utf8", "\x80\x02X\x01\x00\x00\x00\xff."s));
  paths.push_back(write_archive("int_persistent_id", "\x80\x02K\x01Q."s));
  paths.push_back(write_archive("tensor", tensor_pickle("FloatStorage", 6, 0, 2, true), floats6));
  paths.push_back(write_archive("view_past_storage", tensor_pickle("FloatStorage", 6, 1, 2, false), floats6));
  paths.push_back(write_archive("int_requires_grad", tensor_pickle("IntStorage", 6, 0, 2, true), floats6));
  paths.push_back(write_archive("record_missing", tensor_pickle("FloatStorage", 6, 0, 2, false)));
  paths.push_back(write_archive("typed_storage_class", tensor_pickle("TypedStorage", 6, 0, 2, false), floats6));
  paths.push_back(write_archive("rebuild_with_metadata", "\x80\x02" "ctorch._utils\n_rebuild_tensor_v2\n(NNNNNNNtR."s));

  const std::string out = test::scratch_path("weights_only_interop", "verdicts.json");
  std::string cmd = kPython + " " + EMBER_SOURCE_DIR + "/tests/interop/weights_only_verdicts.py " + out;
  for (const std::string& p : paths) cmd += " " + p;
  REQUIRE_MESSAGE(std::system((cmd + " >/dev/null 2>&1").c_str()) == 0, cmd);
  const nlohmann::json torch_says = nlohmann::json::parse(test::read_file(out));
  int refused = 0;
  for (const std::string& p : paths) {
    const test::WeightsOnlyReport report = test::check_weights_only_file(p, test::TorchRules::pytorch_1_13);
    const bool torch_loads = torch_says.at(p).is_null();
    INFO(p, "\n  checker (1.13 rules): ", report.describe(), "\n  torch: ",
         torch_loads ? "loads" : torch_says.at(p).get<std::string>());
    CHECK(report.accepted == torch_loads);
    refused += !torch_loads;
  }
  CHECK(refused >= 15);  // the comparison has teeth: most hand-made archives are refusals
  for (const std::string& p : state_dicts) CHECK_MESSAGE(torch_says.at(p).is_null(), p);
}
