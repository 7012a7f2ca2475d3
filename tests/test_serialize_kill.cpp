// serialize: kill a saving process at random moments, many times, and load the destination
// after each kill: it always holds a complete checkpoint, the old one or a new one.
#include <doctest/doctest.h>

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <set>

#include "ember/serialize/serialize.h"
#include "ember/tensor/factories.h"
#include "tests/test_serialize_helpers.h"

using namespace ember;

namespace {

// A checkpoint whose parts all say which step wrote it, so a mix of two saves shows.
Value checkpoint(const Tensor& weights, std::int64_t step) {
  float* w = weights.data_ptr<float>();
  for (std::int64_t i = 0; i < weights.numel(); ++i) w[i] = static_cast<float>(step);
  return Value{{"step", static_cast<long long>(step)},
               {"model_state_dict", Value{{"weights", weights}}},
               {"tag", "step-" + std::to_string(step)}};
}

void check_complete(const Value& v) {
  const std::int64_t step = v.at("step").as_int();
  CHECK(v.at("tag").as_string() == "step-" + std::to_string(step));
  const std::vector<float> w = v.at("model_state_dict").at("weights").as_tensor().to_vector<float>();
  REQUIRE(w.size() == (1u << 18));
  for (float x : w) {
    if (x != static_cast<float>(step)) {
      FAIL_CHECK("weights hold ", x, " in a checkpoint of step ", step);
      break;
    }
  }
}

// Removes the temporary files killed saves left behind; returns how many there were.
int remove_stray_temporaries(const std::string& dir, const std::string& prefix) {
  int count = 0;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (std::string(e->d_name).rfind(prefix, 0) == 0) {
        ::unlink((dir + "/" + e->d_name).c_str());
        ++count;
      }
    }
    ::closedir(d);
  }
  return count;
}

}  // namespace

TEST_CASE("serialize: a save killed at a random moment leaves the old or the new file") {
  const std::string path = test::scratch("kill.pt");
  const std::string dir = EMBER_BINARY_DIR;
  const std::string temp_prefix = ".serialize_test_kill.pt.tmp-";
  remove_stray_temporaries(dir, temp_prefix);
  Tensor weights = zeros({1 << 18});  // 1 MiB: single-threaded CRC, safe after fork()
  save(checkpoint(weights, 0), path);

  std::mt19937 rng(12345);
  std::set<std::int64_t> steps;
  const int kKills = 50;
  for (int round = 0; round < kKills; ++round) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {  // the saving process: saves new checkpoints until killed
      try {
        for (std::int64_t step = (round + 1) * 100000;; ++step) save(checkpoint(weights, step), path);
      } catch (...) {
        ::_exit(2);
      }
    }
    ::usleep(2000 + rng() % 60000);
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status));  // it was still saving, not failed
    Value v = load(path);  // throws, failing the test, if the file is damaged
    check_complete(v);
    steps.insert(v.at("step").as_int());
  }
  const int interrupted = remove_stray_temporaries(dir, temp_prefix);
  MESSAGE(kKills, " kills; ", steps.size(), " distinct checkpoints seen; ", interrupted,
          " saves were interrupted mid-write (their temporary files removed)");
  CHECK(steps.size() > 5);  // the children did finish saves between kills
  CHECK(interrupted > 0);  // and some kills landed in the middle of one
}
