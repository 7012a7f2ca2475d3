// examples/seed_inference on files made by PyTorch gives PyTorch's logits.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "ember/serialize/serialize.h"
#include "ember/tensor/ops.h"
#include "tests/programs.h"

using namespace ember;

namespace {

const std::string kFixtures = std::string(EMBER_SOURCE_DIR) + "/tests/fixtures/seed_inference/";
const std::string kProgram = std::string(EMBER_BINARY_DIR) + "/examples/seed_inference";

// Runs the program with args, stderr captured into *err; returns the exit status.
int run(const std::string& args, std::string* err = nullptr) {
  const test::ProgramResult r = test::run_program(kProgram + " " + args, "seed_inference_test");
  if (err) *err = r.err;
  return r.status;
}

double max_abs_diff(const Tensor& a, const Tensor& b) { return max(abs(a - b)).item(); }

}  // namespace

TEST_CASE("seed_inference: PyTorch's state_dict and checkpoint give PyTorch's logits") {
  const Tensor expected = load(kFixtures + "logits.pt").as_tensor();
  REQUIRE(expected.shape() == Shape{4, 10});
  for (const char* state : {"state_dict.pt", "checkpoint.pt"}) {
    INFO("STATE = ", state);
    const std::string out = std::string(EMBER_BINARY_DIR) + "/seed_inference_logits.pt";
    REQUIRE(run(kFixtures + state + " " + kFixtures + "input.pt " + out) == 0);
    const Tensor logits = load(out).as_tensor();
    REQUIRE(logits.shape() == expected.shape());
    CHECK(max_abs_diff(logits, expected) <= 1e-4);
    std::remove(out.c_str());
  }
}

TEST_CASE("seed_inference: a wrong input gives one clear line and exit code 1") {
  std::string err;
  // The state_dict is not an image batch.
  CHECK(run(kFixtures + "state_dict.pt " + kFixtures + "state_dict.pt /dev/null", &err) == 1);
  CHECK(err.find("expected a file holding one tensor, found a dict") != std::string::npos);
  CHECK(run(kFixtures + "missing.pt " + kFixtures + "input.pt /dev/null", &err) == 1);
  CHECK(err.find("missing.pt") != std::string::npos);
}
