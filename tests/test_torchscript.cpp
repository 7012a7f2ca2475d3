// TorchScript archives: load_state_dict gives torch.jit.load(path).state_dict() for scripted and
// traced models; the class-declaration parser is strict; damaged archives, the pre-1.3 format
// and safe loading are refused with messages naming the entry. Fixtures:
// scripts/make_torchscript_fixtures.py.
#include <doctest/doctest.h>

#include <functional>

#include "ember/serialize/model_file.h"
#include "ember/serialize/pickle_reader.h"
#include "ember/serialize/serialize.h"
#include "ember/serialize/torchscript.h"
#include "ember/serialize/zip_reader.h"
#include "ember/serialize/zip_writer.h"
#include "tests/test_serialize_helpers.h"

using namespace ember;
using doctest::Contains;
using namespace std::string_literals;  // pickles hold NUL bytes

namespace {

using test::check_state_dict;

std::string script_fixture(const std::string& name) {
  return std::string(EMBER_SOURCE_DIR) + "/tests/fixtures/torchscript/" + name;
}

const nlohmann::json& expected() {
  static const nlohmann::json j = nlohmann::json::parse(test::read_file(script_fixture("expected.json")));
  return j;
}

// [name, class] for each module in pre-order, as the fixture script lists them.
void module_classes(const serialize::ScriptModule& module, const std::string& prefix, nlohmann::json& out) {
  out.push_back({prefix, module.class_name});
  for (const auto& [name, child] : module.modules) module_classes(child, prefix.empty() ? name : prefix + "." + name, out);
}

// The archive `bytes` with change(entry name, entry bytes) applied to each entry, written to a
// scratch file; every entry stored.
std::string rewritten(const std::string& name, const std::string& bytes,
                      const std::function<std::string(const std::string&, std::string)>& change) {
  const serialize::ZipReader in(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), name);
  std::string out;
  serialize::ZipWriter zip([&](const void* p, std::size_t n) { out.append(static_cast<const char*>(p), n); });
  for (const serialize::ZipReader::Entry& entry : in.entries()) {
    const std::vector<std::uint8_t> data = in.extract(entry);
    const std::string changed = change(entry.name, std::string(data.begin(), data.end()));
    zip.add(entry.name, changed.data(), changed.size());
  }
  zip.finish();
  const std::string path = test::scratch("torchscript_" + name);
  test::write_file(path, out);
  return path;
}

const char* const kArchives[] = {"scripted_sequential", "traced_sequential", "scripted_net", "traced_net"};

}  // namespace

TEST_CASE("load_state_dict of a TorchScript archive is torch.jit.load(path).state_dict()") {
  for (const std::string name : kArchives) {
    CAPTURE(name);
    check_state_dict(load_state_dict(script_fixture(name + ".pt")), expected()[name]["state_dict"]);
  }
  // The rules at work in scripted_net: root parameters (None skipped), all its buffers, the
  // non-persistent one too, then submodules; a submodule's buffers before its own submodules.
  const nn::StateDict net = load_state_dict(script_fixture("scripted_net.pt"));
  CHECK(net.keys() == std::vector<std::string>{"alpha", "scale", "cache", "stem.weight", "blocks.0.fc.weight",
                                               "blocks.0.fc.bias", "blocks.1.steps", "blocks.1.norm.weight",
                                               "blocks.1.norm.bias", "blocks.1.norm.running_mean",
                                               "blocks.1.norm.running_var", "blocks.1.norm.num_batches_tracked",
                                               "head.0.weight", "head.0.bias"});
  CHECK(net.at("blocks.1.steps").dtype() == kInt64);
}

TEST_CASE("load_torchscript gives the module tree with the archive's class names") {
  for (const std::string name : kArchives) {
    CAPTURE(name);
    const serialize::ScriptArchive archive = serialize::load_torchscript(serialize::MappedFile::open(script_fixture(name + ".pt")));
    nlohmann::json got = nlohmann::json::array();
    module_classes(archive.root, "", got);
    CHECK(got == expected()[name]["modules"]);
  }
  const serialize::ScriptArchive net = serialize::load_torchscript(serialize::MappedFile::open(script_fixture("scripted_net.pt")));
  CHECK(net.root.parameters == std::vector<std::string>{"alpha", "unused"});
  CHECK(net.root.buffers == std::vector<std::string>{"scale", "cache", "maybe"});
  CHECK(net.root.object->getattr("name").as_string() == "net");
  const Value& sizes = net.root.object->getattr("sizes");  // torch.jit._pickle.build_intlist([3, 4])
  REQUIRE(sizes.is_list());
  CHECK(sizes[0].as_int() == 3);
  CHECK(sizes[1].as_int() == 4);
  CHECK(net.root.object->getattr("unused").is_none());
  // Two user classes named Block: the second is mangled, and both show as Block.
  const serialize::ScriptModule& blocks = net.root.modules.at(1).second;
  CHECK(blocks.modules.at(1).second.class_name == "__torch__.___torch_mangle_18.Block");
  CHECK(serialize::script_class_display_name(blocks.modules.at(0).second.class_name) == "Block");
  CHECK(serialize::script_class_display_name(blocks.modules.at(1).second.class_name) == "Block");
}

TEST_CASE("script_class_display_name drops TorchScript's namespace and mangling") {
  using serialize::script_class_display_name;
  CHECK(script_class_display_name("__torch__.Net") == "Net");
  CHECK(script_class_display_name("__torch__.torch.nn.modules.conv.___torch_mangle_3.Conv2d") ==
        "torch.nn.modules.conv.Conv2d");
  CHECK(script_class_display_name("__torch__.___torch_mangle_0.A") == "A");
  CHECK(script_class_display_name("torch.device") == "torch.device");
}

TEST_CASE("parse_script_classes reads class declarations and nothing else") {
  const std::string code =
      "class Conv2d(Module):\n"
      "  __parameters__ = [\"weight\", \"bias\", ]\n"
      "  __buffers__ = []\n"
      "  weight : Tensor\n"
      "  def forward(self: __torch__.m.Conv2d,\n"
      "    input: Tensor) -> Tensor:\n"
      "    __parameters__ = 3\n"
      "    return input\n"
      "def relu(input: Tensor) -> Tensor:\n"
      "  __parameters__ = [1]\n"
      "  return input\n"
      "class Pair:\n"
      "  a : int\n"
      "class Old(Module):\n"
      "  __parameters__ = [\"w\", ]\n";
  const std::vector<serialize::ScriptClass> classes = serialize::parse_script_classes(code, "__torch__.m", "f.pt", "e");
  REQUIRE(classes.size() == 3);
  CHECK(classes[0].name == "__torch__.m.Conv2d");
  CHECK(classes[0].is_module());
  CHECK(classes[0].parameters == std::vector<std::string>{"weight", "bias"});
  CHECK(classes[0].buffers.empty());
  CHECK(classes[1].name == "__torch__.m.Pair");
  CHECK(classes[1].base.empty());
  CHECK_FALSE(classes[1].is_module());
  CHECK(classes[2].parameters == std::vector<std::string>{"w"});  // no __buffers__ line: none
  CHECK(classes[2].buffers.empty());

  auto fails = [](const std::string& text, const std::string& message) {
    CAPTURE(text);
    CHECK_THROWS_WITH_AS(serialize::parse_script_classes(text, "__torch__", "f.pt", "f/code/__torch__.py"),
                         message.c_str(), SerializeError);
  };
  const std::string at = "load: 'f.pt', entry 'f/code/__torch__.py': ";
  fails("class A(Module):\n  training : bool\n",
        at + "line 2: expected '  __parameters__ = [...]' below 'class A(Module):', found '  training : bool'");
  fails("class A(Module):\n", at + "line 1: expected '  __parameters__ = [...]' below 'class A(Module):', found the end of the file");
  fails("class A(Module):\n  __parameters__ = [\"we",
        at + "line 2: expected '  __parameters__ = [\"name\", ...]', found '  __parameters__ = [\"we'");
  fails("class A(Module):\n  __parameters__ = [\"w\"]\n",
        at + "line 2: expected '  __parameters__ = [\"name\", ...]', found '  __parameters__ = [\"w\"]'");
  fails("class A(Module):\n  __parameters__ = [\"w\", ] \n",
        at + "line 2: expected '  __parameters__ = [\"name\", ...]', found '  __parameters__ = [\"w\", ] '");
  fails("class A(Module):\n  __parameters__ = [\"\", ]\n",
        at + "line 2: expected '  __parameters__ = [\"name\", ...]' with names that are not empty, found "
             "'  __parameters__ = [\"\", ]'");
  fails("class A(Module):\n  __parameters__ = []\n  __buffers__ = [\"a\\x\", ]\n",
        at + "line 3: expected '  __buffers__ = [\"name\", ...]' with plain names, found '  __buffers__ = [\"a\\x\", ]'");
  fails("class A(Module)\n", at + "line 1: expected a class declaration 'class Name(Base):' or 'class Name:', found "
                                   "'class A(Module)'");
  fails("class 1A:\n", at + "line 1: expected a class declaration 'class Name(Base):' or 'class Name:' with a class "
                             "name, found 'class 1A:'");
  fails("class A(a.B):\n", at + "line 1: expected a class declaration 'class Name(Base):' or 'class Name:' with a "
                                 "base class name, found 'class A(a.B):'");
  fails("class A:\nclass A:\n", at + "line 2: expected each class declared once, found a second class A");
  fails("class A(Module):\n  __parameters__ = [\"\x01\", ]\n",
        at + "line 2: expected '  __parameters__ = [\"name\", ...]' with plain names, found "
             "'  __parameters__ = [\"\\x01\", ]'");
}

TEST_CASE("TorchScript's typed containers read as the containers they return") {
  // restore_type_tag([1], 'List[int]') and build_intlist([1]), as torch/jit/_pickle.py defines them.
  const std::string tag = "\x80\x02" "ctorch.jit._pickle\nrestore_type_tag\n]K\x01" "aX\x09\0\0\0List[int]\x86R."s;
  const std::string ints = "\x80\x02" "ctorch.jit._pickle\nbuild_intlist\n]K\x01" "a\x85R.";
  serialize::PickleOptions inert;
  inert.weights_only = false;
  for (const std::string& pickle : {tag, ints}) {
    const Value v = serialize::unpickle(reinterpret_cast<const std::uint8_t*>(pickle.data()), pickle.size(), {}, "f", "e", inert);
    REQUIRE(v.is_list());
    REQUIRE(v.size() == 1);
    CHECK(v[0].as_int() == 1);
  }
  // Called with anything else, they stay recorded calls.
  const std::string odd = "\x80\x02" "ctorch.jit._pickle\nbuild_intlist\nK\x01\x85R.";
  const Value v = serialize::unpickle(reinterpret_cast<const std::uint8_t*>(odd.data()), odd.size(), {}, "f", "e", inert);
  CHECK(v.class_name() == "torch.jit._pickle.build_intlist");
}

TEST_CASE("ember::load reads a TorchScript archive as inert objects, and refuses it safely") {
  const std::string path = script_fixture("scripted_net.pt");
  const Value objects = load(path, LoadOptions().weights_only(false));
  CHECK(objects.class_name() == "__torch__.Net");
  CHECK(objects.getattr("stem").class_name() == "__torch__.torch.nn.modules.conv.___torch_mangle_16.Conv2d");
  CHECK_THROWS_WITH_AS(
      load(path),
      ("load: '" + path +
       "', entry 'scripted_net/data.pkl': file is a TorchScript archive (torch.jit.save), a tree of TorchScript module "
       "objects; read its weights with ember::load_state_dict(path) or `ember convert IN OUT --state-dict`, or load "
       "with LoadOptions().weights_only(false) to read it as inert structure")
          .c_str(),
      SerializeError);
}

TEST_CASE("TorchScript's pre-1.3 format (model.json) is refused by name") {
  const std::string path = script_fixture("model_json.pt");
  const std::string message = "load: '" + path +
                              "', entry 'model_json/model.json': file is a TorchScript archive of PyTorch < 1.3 "
                              "(model.json), a format ember does not read; open it with torch.jit.load and save it "
                              "again with torch.jit.save";
  CHECK_THROWS_WITH_AS(load(path), message.c_str(), SerializeError);
  CHECK_THROWS_WITH_AS(load(path, LoadOptions().weights_only(false)), message.c_str(), SerializeError);
  CHECK_THROWS_WITH_AS(load_state_dict(path), message.c_str(), SerializeError);
}

TEST_CASE("damaged TorchScript archives are refused naming the entry") {
  auto fails = [](const std::string& name, const std::string& entry, const std::string& reason) {
    const std::string path = script_fixture(name);
    CAPTURE(name);
    CHECK_THROWS_WITH_AS(load_state_dict(path), ("load: '" + path + "', entry '" + entry + "': " + reason).c_str(),
                         SerializeError);
  };
  fails("damaged_truncated_code.pt", "scripted_net/code/__torch__.py",
        "line 2: expected '  __parameters__ = [\"name\", ...]', found '  __parameters__ = [\"al'");
  fails("damaged_no_parameters.pt", "scripted_net/code/__torch__.py",
        "line 2: expected '  __parameters__ = [...]' below 'class Net(Module):', found '  __buffers__ = [\"scale\", "
        "\"cache\", \"maybe\", ]'");
  fails("damaged_missing_code.pt", "scripted_net/code/__torch__/torch/nn/modules/conv/___torch_mangle_16.py",
        "missing: the code file that declares the classes of __torch__.torch.nn.modules.conv.___torch_mangle_16");
}

TEST_CASE("TorchScript code files are held to limits") {
  auto file = serialize::MappedFile::open(script_fixture("scripted_net.pt"));
  serialize::TorchScriptLimits one;
  one.max_code_file_size = 1000;  // Net's file is 1366 bytes
  CHECK_THROWS_WITH_AS(serialize::load_torchscript(file, one),
                       ("load: '" + file->path() +
                        "', entry 'scripted_net/code/__torch__.py': code file of 1366 bytes; the limit for one is 1000 "
                        "(TorchScriptLimits::max_code_file_size)")
                           .c_str(),
                       SerializeError);
  serialize::TorchScriptLimits all;
  all.max_code_size = 2000;
  CHECK_THROWS_WITH_AS(serialize::load_torchscript(file, all), Contains("(TorchScriptLimits::max_code_size)"),
                       SerializeError);
  CHECK(serialize::script_module_state_dict(serialize::load_torchscript(file).root).size() == 14);
}

TEST_CASE("a TorchScript module object that lacks what its class declares is refused") {
  const std::string net = test::read_file(script_fixture("scripted_net.pt"));
  const std::string top = "scripted_net/code/__torch__.py";
  auto with_net_line = [&](const std::string& name, const std::string& line) {
    return rewritten(name, net, [&](const std::string& entry, std::string bytes) {
      if (entry != top) return bytes;
      const std::string old = "  __parameters__ = [\"alpha\", \"unused\", ]";
      REQUIRE(bytes.find(old) != std::string::npos);
      return bytes.replace(bytes.find(old), old.size(), line);
    });
  };
  const std::string ghost = with_net_line("ghost.pt", "  __parameters__ = [\"alpha\", \"ghost\", ]");
  CHECK_THROWS_WITH_AS(load_state_dict(ghost),
                       ("load: '" + ghost + "', entry 'scripted_net/data.pkl': Value: class __torch__.Net declares the "
                        "parameter 'ghost', which its object lacks").c_str(),
                       SerializeError);
  const std::string named = with_net_line("named.pt", "  __parameters__ = [\"name\", ]");
  CHECK_THROWS_WITH_AS(load_state_dict(named),
                       ("load: '" + named + "', entry 'scripted_net/data.pkl': Value.__dict__[\"name\"]: expected the "
                        "parameter 'name' to be a tensor or None, found a str").c_str(),
                       SerializeError);
  // The same archive rewritten (its entries stored, not deflated) still reads.
  check_state_dict(load_state_dict(rewritten("copy.pt", net, [](const std::string&, std::string b) { return b; })),
                   expected()["scripted_net"]["state_dict"]);

  // Detection needs constants.pkl and code/ beside data.pkl: a torch.save file is not one.
  CHECK_FALSE(serialize::is_torchscript_archive(*serialize::MappedFile::open(test::fixture("checkpoint.pt"))));
  CHECK(serialize::is_torchscript_archive(*serialize::MappedFile::open(script_fixture("traced_net.pt"))));
  CHECK_THROWS_WITH_AS(serialize::load_torchscript(serialize::MappedFile::open(test::fixture("checkpoint.pt"))),
                       Contains("not a TorchScript archive (no constants.pkl and code/ in its folder)"), SerializeError);
}
