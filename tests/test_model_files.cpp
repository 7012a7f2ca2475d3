// Whole-model files (torch.save(model)) and the refusals of safe loading: load_state_dict gives
// PyTorch's model.state_dict(); weights_only=true says what a refused thing is;
// weights_only=false reads object trees as structure; storages saved on cuda or mps are read
// as CPU tensors; the pickle machine's limits still hold. Fixtures:
// scripts/make_model_file_fixtures.py.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <functional>

#include "ember/serialize/model_file.h"
#include "ember/serialize/serialize.h"
#include "ember/serialize/zip_writer.h"
#include "tests/test_serialize_helpers.h"

using namespace ember;
using namespace std::string_literals;  // pickles hold NUL bytes
using doctest::Contains;

namespace {

using test::check_state_dict;

std::string model_fixture(const std::string& name) {
  return std::string(EMBER_SOURCE_DIR) + "/tests/fixtures/model_files/" + name;
}

const nlohmann::json& expected() {
  static const nlohmann::json j = nlohmann::json::parse(test::read_file(model_fixture("expected.json")));
  return j;
}

// A torch.save-shaped archive holding `pickle` as data.pkl, written to a scratch file.
std::string write_pt(const std::string& name, const std::string& pickle) {
  std::string bytes;
  serialize::ZipWriter zip([&](const void* p, std::size_t n) { bytes.append(static_cast<const char*>(p), n); });
  zip.add("archive/data.pkl", pickle.data(), pickle.size());
  zip.add("archive/version", "3\n", 2);
  zip.finish();
  const std::string path = test::scratch(name);
  test::write_file(path, bytes);
  return path;
}

std::string unicode(const std::string& s) {  // BINUNICODE
  std::string out = "X";
  for (int k = 0; k < 4; ++k) out += static_cast<char>((s.size() >> (8 * k)) & 0xFF);
  return out + s;
}

// __main__.Node() instances nested `levels` deep, each holding the next in its __dict__:
// two Value levels (the object, its state dict) per instance.
std::string nested_objects(int levels) {
  std::string p = "\x80\x02";
  for (int k = 0; k < levels; ++k) p += "c__main__\nNode\n)\x81}" + unicode("child");
  p += "N";
  for (int k = 0; k < levels; ++k) p += "sb";
  return p + ".";
}

const LoadOptions kObjects = LoadOptions().weights_only(false);

}  // namespace

TEST_CASE("model files: load_state_dict equals PyTorch's model.state_dict(), keys in its order") {
  for (auto it = expected().begin(); it != expected().end(); ++it) {
    check_state_dict(load_state_dict(model_fixture(it.key() + ".pt")), it.value()["state_dict"], it.key());
  }
  // The user's class: None parameters and buffers and the non-persistent buffer left out,
  // parameters before buffers before submodules, a shared module under both its names.
  std::vector<std::string> keys = load_state_dict(model_fixture("net.pt")).keys();
  CHECK(keys == std::vector<std::string>{"alpha", "scale", "stem.weight", "blocks.0.0.weight", "blocks.0.0.bias",
                                         "blocks.1.weight", "head.weight"});
  // A file that already is a state_dict, from the other fixtures too.
  CHECK(load_state_dict(test::fixture("state_dict.pt")).keys() == nn::StateDict(load(test::fixture("state_dict.pt"))).keys());
  CHECK(load_state_dict(test::fixture("tensors.safetensors")).size() == 6);
}

TEST_CASE("model files: legacy whole models (before PyTorch 1.6) give the same state_dict") {
  const nlohmann::json legacy = nlohmann::json::parse(test::read_file(test::legacy_fixture("expected.json")));
  for (const std::string name : {"model_sequential", "model_nested"}) {
    CAPTURE(name);
    const nlohmann::json& want = legacy["state_dict:" + name]["__dict__"];
    for (const std::string& file : {name + ".pt", name + "_zip.pt"}) {
      const nn::StateDict got = load_state_dict(test::legacy_fixture(file));
      REQUIRE(got.size() == want.size());
      std::size_t i = 0;
      for (const auto& item : got) {
        CHECK(item.first == want[i][0].get<std::string>());
        CHECK(item.second.shape() == want[i][1]["shape"].get<Shape>());
        CHECK(item.second.to_vector<double>() == want[i][1]["values"].get<std::vector<double>>());
        ++i;
      }
    }
  }
}

TEST_CASE("model files: load_state_dict says what a file that holds no model holds") {
  const std::string checkpoint = test::fixture("checkpoint.pt");
  CHECK_THROWS_WITH_AS(load_state_dict(checkpoint),
                       ("load_state_dict: '" + checkpoint + "': the file holds a dict (a checkpoint?) whose entry "
                        "'model_state_dict' is a state_dict: read it with nn::StateDict(ember::load(path, "
                        "LoadOptions().weights_only(false)).at(\"model_state_dict\"))").c_str(),
                       SerializeError);
  const std::string numpy = model_fixture("numpy_array.pt");
  CHECK_THROWS_WITH_AS(load_state_dict(numpy),
                       ("load_state_dict: '" + numpy + "': the file holds a dict whose entry 'epoch' is an int, not a "
                        "tensor; expected a whole model (torch.save(model)) or a state_dict (a dict of str -> tensor)").c_str(),
                       SerializeError);
  const std::string dtypes = test::fixture("dtypes.pt");
  CHECK_NOTHROW(load_state_dict(dtypes));  // an OrderedDict of tensors is a state_dict
  save(Value::list({1, 2}), test::scratch("model_list.pt"));
  CHECK_THROWS_WITH_AS(load_state_dict(test::scratch("model_list.pt")),
                       Contains("the file holds a list; expected a whole model (torch.save(model)) or a state_dict"),
                       SerializeError);
  const std::string ns = write_pt("model_namespace.pt", "\x80\x02" "cargparse\nNamespace\n)\x81}" + unicode("lr") + "K\x01sb.");
  CHECK_THROWS_WITH_AS(load_state_dict(ns), Contains("the file holds an object of class argparse.Namespace, not a torch.nn.Module"),
                       SerializeError);
  // A module whose _modules holds something else: the path names it.
  const std::string odd = write_pt("model_odd.pt", "\x80\x02" "c__main__\nNet\n)\x81}(" + unicode("_parameters") + "}" +
                                                       unicode("_buffers") + "}" + unicode("_modules") + "}" +
                                                       unicode("fc") + "K\x03sub.");
  CHECK_THROWS_WITH_AS(load_state_dict(odd), Contains(R"(Value.__dict__["_modules"]["fc"]: expected a torch.nn.Module, found an int)"),
                       SerializeError);
}

TEST_CASE("model files: weights_only=true says what each refused thing is, and what to do") {
  auto refusal = [](const std::string& name, const std::string& entry, const std::string& reason) {
    return "load: '" + model_fixture(name) + "', entry '" + entry + "/data.pkl': " + reason;
  };
  const std::string whole_model =
      "; read its weights with ember::load_state_dict(path) or `ember convert IN OUT --state-dict`, or load with "
      "LoadOptions().weights_only(false)";
  CHECK_THROWS_WITH_AS(load(model_fixture("net.pt")),
                       refusal("net.pt", "net", "the file holds a whole model (torch.save(model)) of class __main__.Net "
                                                "(global '__main__.Net')" + whole_model + " (pickle byte 2)").c_str(),
                       SerializeError);
  CHECK_THROWS_WITH_AS(load(model_fixture("sequential.pt")),
                       refusal("sequential.pt", "sequential",
                               std::string("the file holds a whole model (torch.save(model)) of class torch.nn.modules.container."
                               "Sequential (global 'torch.nn.modules.container.Sequential'); rebuild it as a model "
                               "with nn::load_model(path), read its weights with ember::load_state_dict(path) or "
                               "`ember convert IN OUT --state-dict`, or load with LoadOptions().weights_only(false)") +
                                   " (pickle byte 2)").c_str(),
                       SerializeError);
  CHECK_THROWS_WITH_AS(load(model_fixture("quantized.pt")),
                       refusal("quantized.pt", "quantized",
                               "the file holds a quantized tensor (torch.qint8, torch.quint8 or torch.qint32; global "
                               "'torch._utils._rebuild_qtensor'); ember has no quantized dtypes; in PyTorch, save "
                               "t.dequantize(), or t.int_repr() with t.q_scale() and t.q_zero_point() (pickle byte 28)").c_str(),
                       SerializeError);
  const std::string numpy_advice =
      "; ember reads no numpy objects; in PyTorch, save torch.from_numpy(a) instead, or load with "
      "LoadOptions().weights_only(false) to read it as inert structure";
  CHECK_THROWS_WITH_AS(load(model_fixture("numpy_array.pt")),
                       refusal("numpy_array.pt", "numpy_array",
                               "the file holds a numpy array (numpy.ndarray; global 'numpy.core.multiarray._reconstruct')" +
                                   numpy_advice + " (pickle byte 31)").c_str(),
                       SerializeError);
  CHECK_THROWS_WITH_AS(load(model_fixture("numpy_scalar.pt")),
                       refusal("numpy_scalar.pt", "numpy_scalar",
                               "the file holds a numpy scalar (such as numpy.float64(0.5); global "
                               "'numpy.core.multiarray.scalar'); ember reads no numpy objects; in PyTorch, save x.item() "
                               "(a Python number) instead, or load with LoadOptions().weights_only(false) to read it as "
                               "inert structure (pickle byte 35)").c_str(),
                       SerializeError);
  CHECK_THROWS_WITH_AS(load(model_fixture("namespace.pt")),
                       refusal("namespace.pt", "namespace",
                               "the file holds an object of class argparse.Namespace from the argparse package (parsed "
                               "command-line arguments; global 'argparse.Namespace'); in PyTorch, save vars(args), a dict, "
                               "instead; or load with LoadOptions().weights_only(false) to read it as inert structure "
                               "(pickle byte 17)").c_str(),
                       SerializeError);
  // Another library's class, by its package; a function that runs commands, by what it does.
  const std::string sk = write_pt("model_sklearn.pt", "\x80\x02" "csklearn.preprocessing._data\nStandardScaler\n)\x81.");
  CHECK_THROWS_WITH_AS(load(sk), Contains("the file holds an object of class sklearn.preprocessing._data.StandardScaler "
                                          "from the sklearn package (global 'sklearn.preprocessing._data.StandardScaler'); "
                                          "ember never imports or runs code from a file; load with "
                                          "LoadOptions().weights_only(false) to read it as inert structure (pickle byte 2)"),
                       SerializeError);
  const std::string evil = write_pt("model_evil.pt", "\x80\x02" "cposix\nsystem\n" + unicode("touch " + test::scratch("pwned")) + "\x85R.");
  CHECK_THROWS_WITH_AS(load(evil), Contains("the file holds a call of posix.system, which runs a shell command (global "
                                            "'posix.system'); ember never runs code from a file"),
                       SerializeError);
  // Quantized tensors stay refused without weights_only too: ember has no type to hold them.
  CHECK_THROWS_WITH_AS(load(model_fixture("quantized.pt"), kObjects), Contains("ember has no quantized dtypes"), SerializeError);
  CHECK_THROWS_WITH_AS(load_state_dict(model_fixture("quantized.pt")), Contains("ember has no quantized dtypes"), SerializeError);
}

TEST_CASE("model files: weights_only=false reads a whole model as an inert object tree") {
  for (const std::string name : {"net.pt", "net_protocol4.pt"}) {
    CAPTURE(name);
    const Value net = load(model_fixture(name), kObjects);
    CHECK(net.class_name() == "__main__.Net");
    CHECK(net.object_origin() == Value::ObjectOrigin::newobj);
    CHECK(net.object_args().size() == 0);
    CHECK(net.getattr("training").as_bool());
    CHECK(python_repr(net.getattr("config")) == "{'depth': 2, 'name': 'net'}");
    CHECK(python_repr(net.getattr("act")) == "<global 'torch.nn.functional.relu'>");
    CHECK(python_repr(net.getattr("_non_persistent_buffers_set")) == "{'cache'}");  // REDUCE, or EMPTY_SET
    CHECK(net.getattr("_parameters")["alpha"].as_tensor().item() == 0.5);
    CHECK(net.getattr("_parameters")["alpha"].as_tensor().requires_grad());  // a Parameter, as saved
    CHECK(net.getattr("_parameters")["unused"].is_none());
    const Value& blocks = net.getattr("_modules")["blocks"];
    CHECK(blocks.class_name() == "torch.nn.modules.container.ModuleList");
    const Value& linear = blocks.getattr("_modules")["0"].getattr("_modules")["0"];
    CHECK(linear.class_name() == "torch.nn.modules.linear.Linear");
    CHECK(linear.getattr("in_features").as_int() == 4);
    CHECK(linear.getattr("_parameters")["weight"].path() ==
          R"(Value.__dict__["_modules"]["blocks"].__dict__["_modules"]["0"].__dict__["_modules"]["0"].__dict__["_parameters"]["weight"])");
    CHECK(python_repr(net.getattr("_modules")["stem"].getattr("kernel_size")) == "(3, 3)");
    // Each module's class, walking _modules as the fixture script did.
    std::size_t i = 0;
    const nlohmann::json& classes = expected()["net"]["modules"];
    std::function<void(const std::string&, const Value&)> walk = [&](const std::string& prefix, const Value& m) {
      REQUIRE(i < classes.size());
      CHECK(prefix == classes[i][0].get<std::string>());
      CHECK(m.class_name() == classes[i][1].get<std::string>());
      ++i;
      for (const auto& [key, child] : m.getattr("_modules")) {
        const std::string& name = std::get<std::string>(key);
        walk(prefix.empty() ? name : prefix + "." + name, child);
      }
    };
    walk("", net);
    CHECK(i == classes.size());
  }
  // Another library's object, in a checkpoint: its state, as given.
  const Value ckpt = load(model_fixture("namespace.pt"), kObjects);
  CHECK(python_repr(ckpt["args"]) == "<argparse.Namespace object state={'lr': 0.1, 'epochs': 3}>");
  CHECK(ckpt["model_state_dict"].is_ordered_dict());
  // A numpy scalar: what its REDUCE named, nothing called.
  const Value scalar = load(model_fixture("numpy_scalar.pt"), kObjects)["best_acc"];
  CHECK(scalar.class_name() == "numpy.core.multiarray.scalar");
  CHECK(scalar.object_origin() == Value::ObjectOrigin::reduce);
  CHECK(scalar.object_args()[0].class_name() == "numpy.dtype");
  // os.system('touch ...') read, not run.
  const std::string evil = write_pt("model_evil.pt", "\x80\x02" "cposix\nsystem\n" + unicode("touch " + test::scratch("pwned")) + "\x85R.");
  const Value call = load(evil, kObjects);
  CHECK(python_repr(call) == "<posix.system('touch " + test::scratch("pwned") + "')>");
  struct stat st;
  CHECK(::stat(test::scratch("pwned").c_str(), &st) != 0);
}

TEST_CASE("model files: PyTorch 2.6's safe globals ember knows keep their meaning") {
  // collections.Counter (a MultiStepLR's milestones) is its counts, a dict.
  const Value counts = load(write_pt("model_counter.pt", "\x80\x02" "ccollections\nCounter\n}(K\x03K\x01K\x05K\x02u\x85R."));
  CHECK(python_repr(counts) == "{3: 1, 5: 2}");
  // A set is structure only without weights_only, whichever protocol wrote it.
  const std::string set2 = write_pt("model_set2.pt", "\x80\x02" "c__builtin__\nset\n]" + unicode("a") + "a\x85R.");
  const std::string set4 = write_pt("model_set4.pt", "\x80\x04\x8f(" + unicode("a") + "\x90.");
  for (const std::string& path : {set2, set4}) {
    CHECK_THROWS_WITH_AS(load(path), Contains("the file holds a Python set (global 'builtins.set'); ember never imports"),
                         SerializeError);
    const Value set = load(path, kObjects);
    CHECK(set.class_name() == "builtins.set");
    CHECK(python_repr(set) == "{'a'}");
  }
  CHECK_THROWS_WITH_AS(load(write_pt("model_set_bad.pt", "\x80\x02" "c__builtin__\nset\n)R(K\x01\x90."), kObjects),
                       Contains("ADDITEMS needs a set (EMPTY_SET, or builtins.set of a list), found builtins.set"), SerializeError);
}

TEST_CASE("model files: storages saved on cuda:0 or mps are read as CPU tensors") {
  // torch.load(path, map_location='cpu') gives the same; without a GPU PyTorch needs it.
  check_state_dict(nn::StateDict(load(model_fixture("mixed_devices.pt"))), expected()["mixed_devices"]["state_dict"],
                   "mixed_devices");
  check_state_dict(load_state_dict(model_fixture("sequential_cuda.pt")), expected()["sequential"]["state_dict"],
                   "sequential_cuda");
}

TEST_CASE("model files: the pickle machine's limits hold for object trees") {
  CHECK_NOTHROW(load(write_pt("model_deep_ok.pt", nested_objects(100)), kObjects));  // 200 levels
  CHECK_THROWS_WITH_AS(load(write_pt("model_deep.pt", nested_objects(200)), kObjects),
                       Contains("nesting deeper than 256 levels"), SerializeError);
  CHECK_THROWS_WITH_AS(load_state_dict(test::scratch("model_deep.pt")), Contains("nesting deeper than 256 levels"),
                       SerializeError);
  CHECK_THROWS_WITH_AS(load(test::scratch("model_deep.pt")), Contains("whole model (torch.save(model)) of class __main__.Node"),
                       SerializeError);
  // An instance that holds itself: BINPUT it, then BUILD it with a state that BINGETs it.
  const std::string cycle = "\x80\x02" "c__main__\nNode\n)\x81q\x00}"s + unicode("self") + "h\x00sb."s;
  CHECK_THROWS_WITH_AS(load(write_pt("model_cycle.pt", cycle), kObjects),
                       Contains("the pickle holds a reference cycle (an object that contains itself), which a Value tree "
                                "cannot hold"),
                       SerializeError);
  // Objects count against max_objects like anything else.
  serialize::PickleOptions few;
  few.weights_only = false;
  few.limits.max_objects = 50;
  const std::string p = nested_objects(30);
  auto no_storage = [](const serialize::StorageRef&) { return serialize::StorageSlice(); };
  CHECK_THROWS_WITH_AS(serialize::unpickle(reinterpret_cast<const std::uint8_t*>(p.data()), p.size(), no_storage, "f", "e", few),
                       Contains("pickle builds too many objects"), SerializeError);
}
