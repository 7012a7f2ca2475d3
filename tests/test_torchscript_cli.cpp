// TorchScript archives through the `ember` command: inspect shows the module tree (text and
// JSON), convert --state-dict writes TorchScript's state_dict, which ember::load and, live,
// PyTorch's torch.jit.load(path).state_dict() agree with.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>

#include "ember/serialize/model_file.h"
#include "ember/serialize/serialize.h"
#include "tests/programs.h"
#include "tests/test_serialize_helpers.h"

using namespace ember;

namespace {

test::ProgramResult run_ember(const std::string& args) { return test::run_ember(args, "torchscript_cli_test"); }
using test::have_ember;

std::string script_fixture(const std::string& name) {
  return std::string(EMBER_SOURCE_DIR) + "/tests/fixtures/torchscript/" + name;
}

}  // namespace

TEST_CASE("ember inspect shows a TorchScript archive as its module tree") {
  if (!have_ember()) return;
  test::ProgramResult r = run_ember("inspect " + script_fixture("scripted_net.pt"));
  REQUIRE(r.status == 0);
  const std::string want =
      "TorchScript archive (torch.jit.save); its state_dict: 14 tensors, 72 elements\n"
      "Net(sizes=[3, 4], name='net')\n"
      "  alpha   float32 []\n"
      "  unused  None\n"
      "  scale   float32 [2]  (buffer)\n"
      "  cache   float32 [3]  (buffer)\n"
      "  maybe   None  (buffer)\n"
      "  stem: torch.nn.modules.conv.Conv2d(transposed=False)\n"
      "    weight  float32 [2, 1, 3, 3]\n"
      "    bias    None\n"
      "  blocks: torch.nn.modules.container.ModuleList\n"
      "    0: Block\n"
      "      fc: torch.nn.modules.linear.Linear\n"
      "        weight  float32 [4, 4]\n"
      "        bias    float32 [4]\n"
      "    1: Block\n"
      "      steps  int64 [1]  (buffer)\n"
      "      norm: torch.nn.modules.batchnorm.BatchNorm1d\n"
      "        weight               float32 [4]\n"
      "        bias                 float32 [4]\n"
      "        running_mean         float32 [4]  (buffer)\n"
      "        running_var          float32 [4]  (buffer)\n"
      "        num_batches_tracked  int64 []  (buffer)\n"
      "  head: torch.nn.modules.container.Sequential\n"
      "    0: torch.nn.modules.linear.Linear\n"
      "      weight  float32 [2, 4]\n"
      "      bias    float32 [2]\n"
      "    1: torch.nn.modules.activation.ReLU\n";
  CHECK(r.out == want);

  test::ProgramResult traced = run_ember("inspect " + script_fixture("traced_sequential.pt"));
  REQUIRE(traced.status == 0);
  CHECK(traced.out.find("TorchScript archive (torch.jit.save); its state_dict: 9 tensors, 382 elements\n"
                        "torch.nn.modules.container.Sequential\n"
                        "  0: torch.nn.modules.conv.Conv2d\n"
                        "    weight  float32 [4, 1, 3, 3]\n") == 0);

  test::ProgramResult damaged = run_ember("inspect " + script_fixture("damaged_no_parameters.pt"));
  CHECK(damaged.status == 1);
  CHECK(damaged.err.find("entry 'scripted_net/code/__torch__.py': line 2: expected '  __parameters__ = [...]'") !=
        std::string::npos);
}

TEST_CASE("ember inspect --json gives a TorchScript archive's module tree") {
  if (!have_ember()) return;
  test::ProgramResult r = run_ember("inspect --json " + script_fixture("scripted_net.pt"));
  REQUIRE(r.status == 0);
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(r.out);
  CHECK(j["class"] == "Net");
  CHECK(j["archive_class"] == "__torch__.Net");
  CHECK(j["attributes"]["name"] == "net");
  CHECK(j["attributes"]["sizes"] == nlohmann::json::parse("[3, 4]"));  // build_intlist([3, 4]) is its list
  CHECK(j["parameters"]["alpha"] == nlohmann::json::parse(R"({"dtype": "float32", "shape": [], "sum": 0.5})"));
  CHECK(j["parameters"]["unused"].is_null());
  CHECK(j["buffers"]["cache"]["shape"] == nlohmann::json::parse("[3]"));
  const nlohmann::ordered_json& block = j["modules"]["blocks"]["modules"]["1"];
  CHECK(block["class"] == "Block");
  CHECK(block["archive_class"] == "__torch__.___torch_mangle_18.Block");
  CHECK(block["buffers"]["steps"]["dtype"] == "int64");
  std::vector<std::string> order;
  for (auto it = j["modules"].begin(); it != j["modules"].end(); ++it) order.push_back(it.key());
  CHECK(order == std::vector<std::string>{"stem", "blocks", "head"});
  CHECK_FALSE(j["attributes"].contains("stem"));  // submodules and tensors are not attributes here
  CHECK_FALSE(j["attributes"].contains("alpha"));
}

TEST_CASE("ember convert --state-dict writes TorchScript's state_dict") {
  if (!have_ember()) return;
  for (const std::string name : {"scripted_sequential", "traced_sequential", "scripted_net", "traced_net"}) {
    CAPTURE(name);
    const std::string out = test::scratch("torchscript_cli_" + name + ".pt");
    test::ProgramResult r = run_ember("convert --state-dict " + script_fixture(name + ".pt") + " " + out);
    REQUIRE_MESSAGE(r.status == 0, r.err);
    const Value written = load(out);  // the safe way: a plain state_dict
    CHECK(written.is_ordered_dict());
    const nn::StateDict got(written), want = load_state_dict(script_fixture(name + ".pt"));
    REQUIRE(got.keys() == want.keys());
    for (const auto& item : want) {  // no structured bindings: clang cannot capture them in CAPTURE
      const std::string& key = item.first;
      CAPTURE(key);
      CHECK(got.at(key).to_vector<double>() == item.second.to_vector<double>());
    }
  }
  // Without --state-dict the archive is refused, saying how; the pre-1.3 format either way.
  test::ProgramResult plain =
      run_ember("convert " + script_fixture("scripted_net.pt") + " " + test::scratch("torchscript_cli_plain.pt"));
  CHECK(plain.status == 1);
  CHECK(plain.err.find("TorchScript archive (torch.jit.save)") != std::string::npos);
  CHECK(plain.err.find("`ember convert IN OUT --state-dict`") != std::string::npos);
  test::ProgramResult old = run_ember("convert --state-dict " + script_fixture("model_json.pt") + " " +
                                      test::scratch("torchscript_cli_old.pt"));
  CHECK(old.status == 1);
  CHECK(old.err.find("a TorchScript archive of PyTorch < 1.3 (model.json)") != std::string::npos);
}

TEST_CASE("TorchScript interop: torch.jit.load(path).state_dict() equals what ember convert --state-dict wrote") {
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
    MESSAGE("skipped: /usr/bin/python3 cannot import torch (apt-get install python3-torch)");
    return;
  }
  if (!have_ember()) return;
  const std::string dir = test::scratch_path("torchscript_interop", "");
  const std::string script = "/usr/bin/python3 " + std::string(EMBER_SOURCE_DIR) + "/tests/interop/torchscript.py";
  REQUIRE(std::system((script + " write " + dir).c_str()) == 0);
  for (const std::string name : {"scripted", "traced", "scripted_sequential"}) {
    test::ProgramResult r = run_ember("convert --state-dict " + dir + name + ".pt " + dir + name + "_state_dict.pt");
    REQUIRE_MESSAGE(r.status == 0, r.err);
  }
  CHECK_MESSAGE(std::system((script + " check " + dir).c_str()) == 0, "PyTorch found a difference; run: ", script,
                " check ", dir);
}
