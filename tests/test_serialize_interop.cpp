// Live interop with PyTorch: PyTorch writes, ember reads the same values;
// ember writes, PyTorch reads the same values (weights_only=True where the installed PyTorch
// allows it); a PyTorch file makes the round trip PyTorch -> ember -> PyTorch unchanged.
// Runs when /usr/bin/python3 can import torch, and says so when it cannot.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdlib>

#include "ember/serialize/serialize.h"
#include "ember/tensor/factories.h"
#include "tests/test_serialize_helpers.h"

using namespace ember;

namespace {

const std::string kPython = "/usr/bin/python3";

bool run(const std::string& command) {
  const int status = std::system((command + " >/dev/null 2>&1").c_str());
  return status == 0;
}

std::string work_dir();

// The installed PyTorch's major version, or 0 when /usr/bin/python3 cannot import torch.
int torch_major() {
  static const int major = [] {
    const std::string out = work_dir() + "/torch_version.txt";
    if (!run(kPython + " -c 'import torch; open(\"" + out + "\", \"w\").write(torch.__version__)'")) return 0;
    return std::atoi(test::read_file(out).c_str());
  }();
  return major;
}

bool have_torch() { return torch_major() > 0; }

// PyTorch 1.13's weights_only loader lacks BINFLOAT: files with Python floats need the full one.
bool weights_only_reads_floats() { return torch_major() >= 2; }

std::string script(const std::string& name) {
  return kPython + " " + std::string(EMBER_SOURCE_DIR) + "/tests/interop/" + name;
}

std::string work_dir() {
  const std::string dir = std::string(EMBER_BINARY_DIR) + "/serialize_interop";
  ::mkdir(dir.c_str(), 0777);
  return dir;
}

// Has PyTorch load each file (one Python process for all: importing torch takes seconds) and
// checks what it found against the Value ember saved.
struct Written {
  std::string path;
  Value value;
  bool weights_only;
};

void check_torch_reads(const std::vector<Written>& files) {
  const std::string out = work_dir() + "/torch_reads.json";
  std::string cmd = script("torch_reads.py") + " " + out;
  for (const Written& w : files) cmd += " " + w.path + (w.weights_only ? ":weights_only" : "");
  REQUIRE_MESSAGE(run(cmd), "PyTorch could not load ember's files (", cmd, ")");
  const nlohmann::json seen = nlohmann::json::parse(test::read_file(out));
  for (const Written& w : files) {
    const bool safetensors = w.path.size() > 12 && w.path.substr(w.path.size() - 12) == ".safetensors";
    test::check_matches(w.value, safetensors ? seen[w.path]["tensors"] : seen[w.path], w.path);
  }
}

// Runs torch_writes.py once per test run.
std::string torch_written_dir() {
  static const std::string dir = [] {
    const std::string d = work_dir() + "/torch";
    ::mkdir(d.c_str(), 0777);
    REQUIRE(run(script("torch_writes.py") + " " + d));
    return d;
  }();
  return dir;
}

}  // namespace

TEST_CASE("serialize interop: PyTorch writes, ember reads the same values") {
  if (!have_torch()) {
    MESSAGE("skipped: /usr/bin/python3 cannot import torch (apt-get install python3-torch)");
    return;
  }
  const std::string dir = torch_written_dir();
  const nlohmann::json expected = nlohmann::json::parse(test::read_file(dir + "/expected.json"));
  for (auto it = expected.begin(); it != expected.end(); ++it) {
    test::check_matches(load(dir + "/" + it.key()), it.value(), it.key());
  }
}

TEST_CASE("serialize interop: ember writes, PyTorch reads the same values") {
  if (!have_torch()) {
    MESSAGE("skipped: /usr/bin/python3 cannot import torch");
    return;
  }
  const std::string dir = work_dir();
  // A module state_dict as PyTorch writes one: OrderedDict with _metadata.
  Tensor weight = arange(0, 6, 1, kFloat32).view({2, 3});
  Value state = Value::ordered_dict();
  state.set("fc.weight", weight);
  state.set("fc.bias", tensor({0.5, -0.25}));
  state.set("bn.num_batches_tracked", tensor_int64({4}).view({}));
  Value metadata = Value::ordered_dict();
  metadata.set("", Value{{"version", 1}});
  metadata.set("fc", Value{{"version", 1}});
  metadata.set("bn", Value{{"version", 2}});
  state.set_metadata(metadata);
  std::vector<Written> files;
  files.push_back({dir + "/ember_state_dict.pt", state, true});

  // Views of one storage, every dtype, 0-d and empty tensors.
  Tensor x = arange(0, 20, 1, kFloat64).view({4, 5});
  Value views{{"x", x}, {"xt", x.t()}, {"col", x.select(1, 3)}, {"slice", x.narrow(0, 1, 2).narrow(1, 1, 3)}};
  files.push_back({dir + "/ember_views.pt", views, true});
  Value dtypes = Value::list();
  for (Dtype d : {kFloat32, kFloat64, kFloat16, kBFloat16, kInt64, kInt32, kInt16, kInt8, kUInt8, kBool}) {
    dtypes.append(arange(-2, 4, 1, kInt64).to(d));
  }
  dtypes.append(scalar_tensor(3, kInt64));
  dtypes.append(zeros({2, 0, 3}));
  files.push_back({dir + "/ember_dtypes.pt", dtypes, true});

  // An optimizer state_dict and a checkpoint: plain dicts, int keys, Python floats.
  Value optimizer{{"state", Value{{0, Value{{"step", tensor({3.0})}, {"exp_avg", zeros({2, 3})}}}}},
                  {"param_groups", Value::list({Value{{"lr", 0.001}, {"betas", Value::tuple({0.9, 0.999})},
                                                      {"amsgrad", false}, {"foreach", Value()},
                                                      {"params", Value::list({0, 1})}}})}};
  Value checkpoint{{"epoch", 5}, {"model_state_dict", state}, {"optimizer_state_dict", optimizer},
                   {"loss", 0.375}, {"tag", "run"}, {"big", static_cast<long long>(1) << 50}};
  files.push_back({dir + "/ember_checkpoint.tar", checkpoint, weights_only_reads_floats()});
  for (const Written& w : files) save(w.value, w.path);
  SaveOptions zip64;
  zip64.force_zip64 = true;
  files.push_back({dir + "/ember_zip64.pt", views, true});
  save(views, dir + "/ember_zip64.pt", zip64);

  Value tensors{{"weight", weight}, {"half", tensor({1.5, -2}, kFloat16)}, {"mask", tensor({1, 0}, kBool)}};
  save_safetensors(tensors, dir + "/ember.safetensors", {{"format", "pt"}});
  files.push_back({dir + "/ember.safetensors", tensors, false});
  check_torch_reads(files);
}

TEST_CASE("serialize interop: PyTorch -> ember -> PyTorch leaves a file unchanged") {
  if (!have_torch()) {
    MESSAGE("skipped: /usr/bin/python3 cannot import torch");
    return;
  }
  const std::string dir = torch_written_dir();
  // parameter.pt is left out: a torch.nn.Parameter comes back as a plain tensor (ember has no
  // Parameter type; requires_grad survives), which round_trip.py rightly calls a change.
  std::string cmd = script("round_trip.py");
  for (const std::string name : {"state_dict.pt", "optimizer.pt", "checkpoint.tar", "views.pth", "dtypes.pt"}) {
    const std::string original = dir + "/" + name;
    const std::string copy = dir + "/copy_" + name;
    save(load(original), copy);
    const bool weights_only = name == "state_dict.pt" || name == "views.pth" || name == "dtypes.pt" ||
                              weights_only_reads_floats();
    cmd += " " + original + " " + copy + (weights_only ? ":weights_only" : "");
  }
  CHECK_MESSAGE(run(cmd), "the round trip changed a file; run for details: ", cmd);
}
