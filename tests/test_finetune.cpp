// examples/finetune on random data: the keys it takes and skips, the frozen parameters, that
// training changes the head and nothing else, and its messages for bad input.
#include <doctest/doctest.h>


#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ember/nn/state_dict.h"
#include "ember/serialize/serialize.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"
#include "tests/programs.h"

using namespace ember;

namespace {

const std::string kFinetune = std::string(EMBER_BINARY_DIR) + "/examples/finetune";

std::string scratch(const std::string& name) { return test::scratch_path("finetune_test", name); }

using Result = test::ProgramResult;

Result finetune(const std::string& args) { return test::run_program(kFinetune + " " + args, "finetune_test"); }

// A short run: 64 random images, two epochs of two batches.
const char* kShortRun = "--synthetic --limit-train 64 --limit-test 32 --batch-size 32 --epochs 2 "
                        "--threads 1 --seed 3";

bool have_finetune() {
  if (std::filesystem::exists(kFinetune)) return true;
  MESSAGE("skipped: ", kFinetune, " is not built");
  return false;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The run without --pretrained, made once: its output and the made-up pretrained file.
struct StandaloneRun {
  Result result;
  std::string pretrained;  // the path it printed
  std::string saved;
};

const StandaloneRun& standalone_run() {
  static const StandaloneRun run = [] {
    StandaloneRun r;
    r.saved = scratch("standalone.pt");
    r.result = finetune(std::string(kShortRun) + " --save " + r.saved);
    INFO(r.result.out, r.result.err);
    REQUIRE(r.result.status == 0);
    const std::string marker = "saved the state_dict of a 100-class LeNet to ";
    const std::size_t at = r.result.out.find(marker);
    REQUIRE(at != std::string::npos);
    const std::size_t begin = at + marker.size();
    r.pretrained = r.result.out.substr(begin, r.result.out.find('\n', begin) - begin);
    return r;
  }();
  return run;
}

}  // namespace

TEST_CASE("finetune: without --pretrained, it reports every key, freezes the features and trains the head") {
  if (!have_finetune()) return;
  const StandaloneRun& run = standalone_run();
  const std::string& out = run.result.out;
  INFO(out);
  CHECK(run.result.err.empty());

  // What init_weights and the partial load report, key by key.
  CHECK(contains(out, "=> init weights from normal distribution\n"));
  for (const char* key : {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight",
                          "fc1.bias", "fc2.weight", "fc2.bias"}) {
    CHECK(contains(out, std::string("=> taken ") + key + "\n"));
  }
  CHECK(contains(out, "=> skipped fc3.weight: shape mismatch, expected (10, 84), found (100, 84)\n"));
  CHECK(contains(out, "=> skipped fc3.bias: shape mismatch, expected (10,), found (100,)\n"));
  CHECK(contains(out, "=> skipped aux.weight: not in this model\n"));
  CHECK(contains(out, "=> kept the initial bn1.weight: not in the pretrained model\n"));
  CHECK(contains(out, "=> kept the initial bn2.running_var: not in the pretrained model\n"));
  CHECK(contains(out, "=> 8 of 12 pretrained tensors taken\n"));

  // named_parameters with requires_grad, as the tutorial prints them.
  for (const char* name : {"conv1.weight", "bn1.weight", "bn1.bias", "conv2.bias", "bn2.weight",
                           "fc1.weight", "fc2.bias"}) {
    CHECK(contains(out, std::string(name) + "\tFalse\n"));
  }
  CHECK(contains(out, "fc3.weight\tTrue\nfc3.bias\tTrue\n"));
  CHECK(contains(out, "epoch 1/2: train loss "));
  CHECK(contains(out, "epoch 2/2: train loss "));
  CHECK(contains(out, "wrote " + run.saved + "\n"));

  // The feature layers hold exactly what was loaded (or init_weights' values), the BatchNorm
  // running statistics included: frozen layers stay in eval mode.
  const nn::StateDict pretrained = ember::load(run.pretrained);
  const Value saved = ember::load(run.saved);
  const nn::StateDict model = saved.at("model_state_dict");
  for (const char* key : {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight",
                          "fc1.bias", "fc2.weight", "fc2.bias"}) {
    INFO(key);
    CHECK(equal(model.at(key), pretrained.at(key)));
  }
  for (const char* bn : {"bn1", "bn2"}) {
    INFO(bn);
    const std::string p = bn;
    CHECK(equal(model.at(p + ".weight"), ones_like(model.at(p + ".weight"))));
    CHECK(equal(model.at(p + ".bias"), zeros_like(model.at(p + ".bias"))));
    CHECK(equal(model.at(p + ".running_mean"), zeros_like(model.at(p + ".running_mean"))));
    CHECK(equal(model.at(p + ".running_var"), ones_like(model.at(p + ".running_var"))));
    CHECK(model.at(p + ".num_batches_tracked").item<std::int64_t>() == 0);
  }
  // The optimizer had the head's two parameters only, and stepped both.
  const Value& optimizer = saved.at("optimizer_state_dict");
  CHECK(optimizer.at("param_groups").items().at(0).at("params").size() == 2);
  CHECK(optimizer.at("state").size() == 2);
  CHECK(saved.at("epoch").as_int() == 2);
}

TEST_CASE("finetune: from a checkpoint of the same model, it takes every key and changes only the head") {
  if (!have_finetune()) return;
  // The standalone run's checkpoint is a pretrained file with 'model_state_dict' whose keys all fit.
  const StandaloneRun& first = standalone_run();
  const std::string saved = scratch("second.pt");
  const Result r = finetune(std::string(kShortRun) + " --pretrained " + first.saved + " --save " + saved);
  INFO(r.out, r.err);
  REQUIRE(r.status == 0);
  CHECK(contains(r.out, "=> loading pretrained model " + first.saved + "\n"));
  CHECK(contains(r.out, "=> taken fc3.weight\n"));
  CHECK(contains(r.out, "=> 20 of 20 pretrained tensors taken\n"));
  CHECK_FALSE(contains(r.out, "=> skipped"));
  CHECK_FALSE(contains(r.out, "no --pretrained"));

  const nn::StateDict before = ember::load(first.saved).at("model_state_dict");
  const nn::StateDict after = ember::load(saved).at("model_state_dict");
  REQUIRE(after.keys() == before.keys());
  for (const auto& [key, value] : after) {
    INFO(key);
    if (key.rfind("fc3.", 0) == 0) {
      CHECK_FALSE(equal(value, before.at(key)));  // the head trained
    } else {
      CHECK(equal(value, before.at(key)));  // the frozen features did not move
    }
  }
}

TEST_CASE("finetune: --help, and bad input exits 1 with one line") {
  if (!have_finetune()) return;
  const Result help = finetune("--help");
  CHECK(help.status == 0);
  CHECK(contains(help.out, "--pretrained"));
  CHECK(contains(help.out, "--synthetic"));

  auto check_one_line = [](const Result& r, const std::string& part) {
    INFO(r.out, r.err);
    CHECK(r.status == 1);
    CHECK(r.err.rfind("finetune: ", 0) == 0);
    CHECK(contains(r.err, part));
    CHECK(r.err.find('\n') == r.err.size() - 1);  // exactly one line
    CHECK_FALSE(contains(r.out, "=> init weights"));  // it stopped before the first step
  };
  const std::string missing = scratch("no-such-file.pt");
  check_one_line(finetune("--synthetic --pretrained " + missing), missing);

  const std::string text = scratch("not-a-checkpoint.pt");
  std::ofstream(text) << "these are not the weights you are looking for\n";
  check_one_line(finetune("--synthetic --pretrained " + text), text);

  // A .pt file that holds no state_dict: a bare tensor.
  const std::string tensor_file = scratch("tensor.pt");
  ember::save(Value(zeros({3})), tensor_file);
  check_one_line(finetune("--synthetic --pretrained " + tensor_file),
                 tensor_file + ": expected a state_dict (a dict of name -> tensor) or a checkpoint");
  check_one_line(finetune("--synthetic --lr -0.1"), "--lr must be positive, found -0.1");

  // A missing data set (the made-up pretrained file is written first).
  check_one_line(finetune("--data " + scratch("no-such-folder")), "no-such-folder");
}
