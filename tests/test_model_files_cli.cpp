// Whole-model files through the `ember` command: inspect shows the module tree (text and
// JSON), convert --state-dict writes the flat state_dict, which ember::load and, live, PyTorch
// read back as the model's own state_dict().
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>

#include "ember/serialize/model_file.h"
#include "ember/serialize/serialize.h"
#include "tests/programs.h"
#include "tests/test_serialize_helpers.h"

using namespace ember;

namespace {

test::ProgramResult run_ember(const std::string& args) { return test::run_ember(args, "model_files_cli_test"); }
using test::have_ember;

std::string model_fixture(const std::string& name) {
  return std::string(EMBER_SOURCE_DIR) + "/tests/fixtures/model_files/" + name;
}

void check_same(const nn::StateDict& got, const nn::StateDict& want) {
  REQUIRE(got.keys() == want.keys());
  for (const auto& item : want) {
    const std::string& key = item.first;
    const Tensor& tensor = item.second;
    CAPTURE(key);
    CHECK(got.at(key).dtype() == tensor.dtype());
    CHECK(got.at(key).shape() == tensor.shape());
    CHECK(got.at(key).to_vector<double>() == tensor.to_vector<double>());
  }
}

}  // namespace

TEST_CASE("ember inspect shows a whole model as its module tree") {
  if (!have_ember()) return;
  test::ProgramResult r = run_ember("inspect " + model_fixture("net.pt"));
  REQUIRE(r.status == 0);
  const std::string want =
      "whole model (torch.save(model)); its state_dict: 7 tensors, 57 elements\n"
      "__main__.Net(act=<global 'torch.nn.functional.relu'>, config={'depth': 2, 'name': 'net'})\n"
      "  alpha   float32 []\n"
      "  unused  None\n"
      "  scale   float32 [2]  (buffer)\n"
      "  cache   float32 [3]  (buffer, not in the state_dict)\n"
      "  maybe   None  (buffer)\n"
      "  stem: torch.nn.modules.conv.Conv2d(in_channels=1, out_channels=2, kernel_size=(3, 3), stride=(1, 1), "
      "padding=(0, 0), dilation=(1, 1), transposed=False, output_padding=(0, 0), groups=1, padding_mode='zeros')\n"
      "    weight  float32 [2, 1, 3, 3]\n"
      "    bias    None\n"
      "  blocks: torch.nn.modules.container.ModuleList\n"
      "    0: torch.nn.modules.container.Sequential\n"
      "      0: torch.nn.modules.linear.Linear(in_features=4, out_features=4)\n"
      "        weight  float32 [4, 4]\n"
      "        bias    float32 [4]\n"
      "      1: torch.nn.modules.activation.ReLU(inplace=False)\n"
      "    1: torch.nn.modules.linear.Linear(in_features=4, out_features=2)\n"
      "      weight  float32 [2, 4]\n"
      "      bias    None\n"
      "  head: torch.nn.modules.linear.Linear(in_features=4, out_features=2)\n"
      "    weight  float32 [2, 4]\n"
      "    bias    None\n"
      "  empty: torch.nn.modules.container.Sequential\n";
  CHECK(r.out == want);

  // Inside a checkpoint: another library's object shows its state.
  test::ProgramResult ns = run_ember("inspect " + model_fixture("namespace.pt"));
  REQUIRE(ns.status == 0);
  CHECK(ns.out.find("args: argparse.Namespace object\n  lr      0.1\n  epochs  3\n") == 0);
  CHECK(ns.out.find("  1.num_batches_tracked  int64 []\n") != std::string::npos);
}

TEST_CASE("ember inspect --json gives a whole model's module tree") {
  if (!have_ember()) return;
  test::ProgramResult r = run_ember("inspect --json " + model_fixture("net.pt"));
  REQUIRE(r.status == 0);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["class"] == "__main__.Net");
  CHECK(j["attributes"]["config"] == nlohmann::json::parse(R"({"depth": 2, "name": "net"})"));
  CHECK(j["attributes"]["act"] == nlohmann::json::parse(R"({"class": "torch.nn.functional.relu", "origin": "global"})"));
  CHECK(j["parameters"]["alpha"] == nlohmann::json::parse(R"({"dtype": "float32", "shape": [], "sum": 0.5})"));
  CHECK(j["parameters"]["unused"].is_null());
  CHECK(j["non_persistent_buffers"] == nlohmann::json::parse(R"(["cache"])"));
  const nlohmann::json& linear = j["modules"]["blocks"]["modules"]["0"]["modules"]["0"];
  CHECK(linear["class"] == "torch.nn.modules.linear.Linear");
  CHECK(linear["attributes"]["out_features"] == 4);
  CHECK(linear["parameters"]["weight"]["shape"] == nlohmann::json::parse("[4, 4]"));
  std::vector<std::string> order;  // as the file has them, which ordered_json keeps
  const nlohmann::ordered_json in_order = nlohmann::ordered_json::parse(r.out);
  for (auto it = in_order["modules"].begin(); it != in_order["modules"].end(); ++it) order.push_back(it.key());
  CHECK(order == std::vector<std::string>{"stem", "blocks", "head", "empty"});
  // Any other object: its parts.
  test::ProgramResult s = run_ember("inspect --json " + model_fixture("numpy_scalar.pt"));
  REQUIRE(s.status == 0);
  const nlohmann::json scalar = nlohmann::json::parse(s.out)["best_acc"];
  CHECK(scalar["class"] == "numpy.core.multiarray.scalar");
  CHECK(scalar["origin"] == "reduce");
  CHECK(scalar["args"][0]["class"] == "numpy.dtype");
}

TEST_CASE("ember convert --state-dict writes the state_dict of a whole model") {
  if (!have_ember()) return;
  for (const std::string name : {"net.pt", "sequential.pt", "sequential_cuda.pt", "sequential_state_dict.pt"}) {
    CAPTURE(name);
    const std::string out = test::scratch("cli_state_dict_" + name);
    test::ProgramResult r = run_ember("convert " + model_fixture(name) + " " + out + " --state-dict");
    REQUIRE(r.status == 0);
    // Round trip: what convert wrote, loaded the safe way, equals load_state_dict of the model.
    const Value written = load(out);
    CHECK(written.is_ordered_dict());
    check_same(nn::StateDict(written), load_state_dict(model_fixture(name)));
  }
  const std::string st = test::scratch("cli_state_dict_net.safetensors");
  REQUIRE(run_ember("convert --state-dict " + model_fixture("net.pt") + " " + st).status == 0);
  check_same(nn::StateDict(load_safetensors(st)), load_state_dict(model_fixture("net.pt")));

  // Without --state-dict a whole model is refused, saying how; a quantized one either way.
  test::ProgramResult plain = run_ember("convert " + model_fixture("net.pt") + " " + test::scratch("cli_plain.pt"));
  CHECK(plain.status == 1);
  CHECK(plain.err.find("`ember convert IN OUT --state-dict`") != std::string::npos);
  test::ProgramResult q = run_ember("convert --state-dict " + model_fixture("quantized.pt") + " " + test::scratch("cli_q.pt"));
  CHECK(q.status == 1);
  CHECK(q.err.find("ember has no quantized dtypes") != std::string::npos);
  test::ProgramResult ckpt = run_ember("convert --state-dict " + test::fixture("checkpoint.pt") + " " + test::scratch("cli_c.pt"));
  CHECK(ckpt.status == 1);
  CHECK(ckpt.err.find("whose entry 'model_state_dict' is a state_dict") != std::string::npos);
}

TEST_CASE("model files interop: PyTorch's model.state_dict() equals what ember convert --state-dict wrote") {
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
    MESSAGE("skipped: /usr/bin/python3 cannot import torch (apt-get install python3-torch)");
    return;
  }
  if (!have_ember()) return;
  const std::string dir = test::scratch_path("model_files_interop", "");
  const std::string script = "/usr/bin/python3 " + std::string(EMBER_SOURCE_DIR) + "/tests/interop/whole_model.py";
  REQUIRE(std::system((script + " write " + dir).c_str()) == 0);
  for (const std::string name : {"net", "sequential"}) {
    test::ProgramResult r = run_ember("convert --state-dict " + dir + name + ".pt " + dir + name + "_state_dict.pt");
    REQUIRE_MESSAGE(r.status == 0, r.err);
  }
  CHECK_MESSAGE(std::system((script + " check " + dir).c_str()) == 0, "PyTorch found a difference; run: ", script,
                " check ", dir);
}
