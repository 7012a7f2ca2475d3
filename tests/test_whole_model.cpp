// nn::load_model and nn::save_model against PyTorch-made whole-model files
// (scripts/make_whole_model_fixtures.py): reprs, outputs, training flags and the pickled
// attributes of every module, both ways; and the refusals, by their messages.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>

#include "ember/nn/activation.h"
#include "ember/nn/batch_norm.h"
#include "ember/nn/conv2d.h"
#include "ember/nn/flatten.h"
#include "ember/nn/linear.h"
#include "ember/nn/max_pool2d.h"
#include "ember/nn/module_list.h"
#include "ember/nn/sequential.h"
#include "ember/serialize/serialize.h"
#include "ember/serialize/whole_model.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/generator.h"
#include "ember/tensor/ops.h"
#include "ember/serialize/torch_modules.h"
#include "tests/test_serialize_helpers.h"
#include "tests/weights_only_checker.h"

using namespace ember;

namespace {

std::string model_fixture(const std::string& name) {
  return std::string(EMBER_SOURCE_DIR) + "/tests/fixtures/whole_model/" + name;
}

nlohmann::json expected() {
  return nlohmann::json::parse(test::read_file(model_fixture("expected.json")));
}

// An attribute as the fixture script wrote it: tuples as lists, None as null.
nlohmann::json to_json(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::none: return nullptr;
    case Value::Kind::boolean: return v.as_bool();
    case Value::Kind::integer: return v.as_int();
    case Value::Kind::real: return v.as_double();
    case Value::Kind::string: return v.as_string();
    case Value::Kind::list:
    case Value::Kind::tuple: {
      nlohmann::json out = nlohmann::json::array();
      for (const Value& item : v.items()) out.push_back(to_json(item));
      return out;
    }
    default: FAIL("unexpected attribute of kind ", v.kind_name()); return nullptr;
  }
}

bool is_module_internal(const std::string& key) {
  return key == "_parameters" || key == "_buffers" || key == "_modules" ||
         key == "_non_persistent_buffers_set" || key == "_is_full_backward_hook" ||
         key.find("_hooks") != std::string::npos;
}

// Checks every module of a file (read as objects) against the fixture's description of the
// PyTorch model: class, and the attributes in order.
void check_attributes(const Value& object, const std::string& path, const nlohmann::json& modules) {
  INFO("module '", path, "'");
  const nlohmann::json& want = modules.at(path);
  CHECK(object.class_name() == want.at("class").get<std::string>());
  nlohmann::json got = nlohmann::json::array();
  for (const auto& [key, value] : object.object_state()) {
    const std::string name = std::get<std::string>(key);
    if (!is_module_internal(name)) got.push_back({name, to_json(value)});
  }
  CHECK(got == want.at("attributes"));
  for (const auto& [key, child] : object.getattr("_modules")) {
    const std::string name = std::get<std::string>(key);
    check_attributes(child, path.empty() ? name : path + "." + name, modules);
  }
}

void check_training(nn::Module& model, const nlohmann::json& training) {
  for (const auto& [name, module] : model.named_modules()) {
    INFO("module '", name, "'");
    CHECK(module->is_training() == training.at(name).get<bool>());
  }
}

void check_output(nn::Module& model, const std::string& name) {
  const Value io = ember::load(model_fixture("io.pt"));
  model.eval();
  const Tensor out = model.forward(io.at(name + ".input").as_tensor());
  CHECK(allclose(out, io.at(name + ".output").as_tensor(), 1e-5, 1e-6));
}

}  // namespace

TEST_CASE("load_model rebuilds torch.nn models that compute PyTorch's outputs") {
  const nlohmann::json want = expected();
  for (const std::string name : {"every_class", "nested", "newer_layers"}) {
    INFO(name);
    auto model = nn::load_model(model_fixture(name + ".pt"));
    CHECK(model->repr() == want.at(name).at("repr").get<std::string>());
    check_training(*model, want.at(name).at("training"));
    check_output(*model, name);
  }
}

TEST_CASE("load_model: state_dict keys in PyTorch's order, ModuleList") {
  auto model = nn::load_model(model_fixture("every_class.pt"));
  const auto keys = expected().at("every_class").at("modules").at("").at("state_dict_keys");
  CHECK(nlohmann::json(model->state_dict().keys()) == keys);

  auto list = std::dynamic_pointer_cast<nn::ModuleList>(nn::load_model(model_fixture("module_list.pt")));
  REQUIRE(list != nullptr);
  CHECK(list->size() == 4);
  CHECK(list->state_dict().keys() == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias", "3.weight"});
  CHECK(list->repr() == "ModuleList(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n"
                        "  (2): Linear(in_features=3, out_features=1, bias=True)\n  (3): Embedding(10, 3, padding_idx=1)\n)");
  const std::string path = test::scratch("whole_model_module_list.pt");
  nn::save_model(*list, path);
  CHECK(nn::load_model(path)->repr() == list->repr());
}

TEST_CASE("save_model writes the attributes PyTorch's modules pickle, and loads back") {
  const nlohmann::json want = expected();
  for (const std::string name : {"every_class", "nested", "newer_layers"}) {
    INFO(name);
    auto model = nn::load_model(model_fixture(name + ".pt"));
    const std::string path = test::scratch("whole_model_" + name + ".pt");
    nn::save_model(*model, path);
    const Value object = ember::load(path, LoadOptions().weights_only(false));
    check_attributes(object, "", want.at(name).at("modules"));
    // Parameters are Parameters, buffers plain tensors, a missing bias None.
    auto again = nn::load_model(path);
    CHECK(again->repr() == model->repr());
    check_training(*again, want.at(name).at("training"));
    check_output(*again, name);
  }
  const Value conv = ember::load(test::scratch("whole_model_every_class.pt"),
                                 LoadOptions().weights_only(false))
                         .getattr("_modules")["0"];
  CHECK(conv.getattr("_parameters")["bias"].is_none());
  CHECK(conv.getattr("_parameters")["weight"].is_tensor());
}

TEST_CASE("load_model refuses what it cannot rebuild, naming the module and its class") {
  const auto error = [](const std::string& file) {
    try {
      nn::load_model(model_fixture(file));
    } catch (const SerializeError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error("user_class.pt").find("the model (__main__.Net): a class nn::load_model cannot rebuild; "
                                    "it rebuilds torch.nn's Sequential, ModuleList, Conv2d") != std::string::npos);
  CHECK(error("user_class.pt").find("read its weights with ember::load_state_dict(path)") != std::string::npos);
  CHECK(error("unknown_layer.pt").find("1 (torch.nn.modules.activation.PReLU): a class nn::load_model "
                                       "cannot rebuild") != std::string::npos);
  CHECK(error("padding_same.pt").find("0 (torch.nn.modules.conv.Conv2d): padding='same': ember's Conv2d "
                                      "takes numeric padding only") != std::string::npos);
  CHECK(error("return_indices.pt").find("0 (torch.nn.modules.pooling.MaxPool2d): return_indices=True")
        != std::string::npos);
  CHECK_THROWS_WITH_AS(nn::load_model(test::fixture("state_dict.pt")),
                       doctest::Contains("expected a whole model (torch.save(model)), found a dict"),
                       SerializeError);
}

TEST_CASE("save_model refuses a model of the user's own C++ class") {
  struct Net : nn::Module {
    Net() { fc = register_module("fc", std::make_shared<nn::Linear>(2, 2)); }
    std::shared_ptr<nn::Linear> fc;
  };
  Net net;
  CHECK_THROWS_WITH_AS(nn::save_model(net, test::scratch("whole_model_user.pt")),
                       doctest::Contains("cannot be saved as a whole model"), Error);
  // Also inside a container: the message names where.
  nn::Sequential seq(std::make_shared<nn::Linear>(2, 2), std::make_shared<Net>());
  CHECK_THROWS_WITH_AS(nn::save_model(seq, test::scratch("whole_model_user.pt")),
                       doctest::Contains("module '1' is a"), Error);
  CHECK_THROWS_WITH_AS(nn::save_model(seq, test::scratch("whole_model_user.pt")),
                       doctest::Contains("ember::save(model.state_dict(), path)"), Error);
}

// Live: PyTorch opens ember's file as a working torch.nn module. Runs when /usr/bin/python3
// can import torch.
TEST_CASE("save_model interop: PyTorch runs ember's whole model and gets ember's outputs") {
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
    MESSAGE("skipped: /usr/bin/python3 cannot import torch (apt-get install python3-torch)");
    return;
  }
  manual_seed(3);
  auto features = std::make_shared<nn::Sequential>();
  features->push_back("conv", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(1, 4, 3).padding(1)));
  features->push_back("bn", std::make_shared<nn::BatchNorm2d>(4));
  features->push_back("relu", std::make_shared<nn::ReLU>());
  features->push_back("pool", std::make_shared<nn::MaxPool2d>(2));
  nn::Sequential model(features, std::make_shared<nn::Flatten>(),
                       std::make_shared<nn::Linear>(4 * 4 * 4, 3), std::make_shared<nn::LogSoftmax>(1));
  const Tensor x = randn({2, 1, 8, 8});
  model.forward(x);  // training mode: moves the running statistics
  model.eval();
  const Tensor y = model.forward(x).detach();

  const std::string model_path = test::scratch("interop_whole_model.pt");
  const std::string io_path = test::scratch("interop_whole_model_io.pt");
  const std::string out_path = test::scratch("interop_whole_model_out.pt");
  nn::save_model(model, model_path);
  ember::save(Value{{"input", x}}, io_path);
  const std::string cmd = "/usr/bin/python3 " + std::string(EMBER_SOURCE_DIR) +
                          "/tests/interop/run_whole_model.py " + model_path + " " + io_path + " " + out_path;
  REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "PyTorch could not run ember's model (", cmd, ")");
  const Value out = ember::load(out_path, LoadOptions().weights_only(false));
  CHECK(allclose(out.at("output").as_tensor(), y, 1e-5, 1e-6));
  CHECK(out.at("repr").as_string() == model.repr());
  std::vector<std::string> keys;
  for (const Value& k : out.at("state_dict_keys").items()) keys.push_back(k.as_string());
  CHECK(keys == model.state_dict().keys());
}

// PyTorch 2.6's default torch.load (weights_only=True) opens save_model's file once the
// torch.nn classes it names are allowed, and not before (tests/weights_only_checker).
TEST_CASE("save_model: PyTorch 2.6 loads it with weights_only=True after add_safe_globals") {
  auto model = nn::load_model(model_fixture("every_class.pt"));
  const std::string path = test::scratch("whole_model_safe_globals.pt");
  nn::save_model(*model, path);
  std::vector<std::string> classes;
  for (nn::Module* m : model->modules()) {
    classes.push_back(serialize::find_torch_module_class(*m)->python_name);
  }
  const auto allowed = test::check_weights_only_file(path, test::TorchRules::pytorch_2_6, classes);
  CHECK_MESSAGE(allowed.accepted, allowed.describe());
  const auto refused = test::check_weights_only_file(path, test::TorchRules::pytorch_2_6);
  CHECK(!refused.accepted);
  CHECK(refused.reason.find("torch.nn.modules.container.Sequential") != std::string::npos);
  // Leaving one class out is refused too, at that class.
  classes.erase(std::remove(classes.begin(), classes.end(), "torch.nn.modules.linear.Linear"), classes.end());
  const auto partly = test::check_weights_only_file(path, test::TorchRules::pytorch_2_6, classes);
  CHECK(!partly.accepted);
  CHECK(partly.reason.find("torch.nn.modules.linear.Linear") != std::string::npos);
}
