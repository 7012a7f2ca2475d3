// examples/train_lenet end to end on a small slice of Fashion-MNIST: flags and error messages,
// the bit-exact resume (uninterrupted vs stopped and resumed vs killed in the middle
// of epoch 2 and resumed), and examples/pytorch_check.py opening the checkpoint in PyTorch.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ember/data/idx.h"
#include "ember/serialize/serialize.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/generator.h"
#include "ember/tensor/ops.h"
#include "tests/programs.h"
#include "tests/weights_only_checker.h"

using namespace ember;

namespace {

const std::string kTrainLenet = std::string(EMBER_BINARY_DIR) + "/examples/train_lenet";
const std::string kDataset = "/usr/share/datasets/fashion-mnist";
constexpr int kTrainImages = 256;  // 8 batches of 32 per epoch
constexpr int kTestImages = 128;

std::string scratch(const std::string& name) { return test::scratch_path("train_lenet_test", name); }

// Writes a uint8 IDX file: magic 0x000008NN, then NN big-endian uint32 sizes, then the bytes.
void write_idx(const std::string& path, const std::vector<std::uint32_t>& shape, const std::uint8_t* bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::vector<std::uint32_t> header{0x800u + static_cast<std::uint32_t>(shape.size())};
  header.insert(header.end(), shape.begin(), shape.end());
  std::size_t count = 1;
  for (std::uint32_t d : shape) count *= d;
  for (std::uint32_t word : header) {
    const char be[4] = {char(word >> 24), char(word >> 16), char(word >> 8), char(word)};
    out.write(be, 4);
  }
  out.write(reinterpret_cast<const char*>(bytes), static_cast<std::streamsize>(count));
}

// A data folder with the first 256 training and 128 test images of Fashion-MNIST, so that a
// run takes moments even in the sanitized build. Random images where the dataset is missing.
std::string small_data_dir() {
  static const std::string dir = [] {
    const std::string d = scratch("data");
    std::filesystem::create_directories(d);
    for (bool train : {true, false}) {
      const std::uint32_t n = train ? kTrainImages : kTestImages;
      const std::string prefix = d + (train ? "/train" : "/t10k");
      Tensor images, labels;
      if (std::filesystem::exists(kDataset)) {
        images = data::read_idx(data::find_mnist_file(kDataset, train, true), 3, "pixels");
        labels = data::read_idx(data::find_mnist_file(kDataset, train, false), 1, "labels");
      } else {
        MESSAGE("no Fashion-MNIST in ", kDataset, ": training on random images");
        Generator generator(train ? 1 : 2);
        images = randint(0, 256, {std::int64_t{n}, 28, 28}, &generator).to(kUInt8);
        labels = randint(0, 10, {std::int64_t{n}}, &generator).to(kUInt8);
      }
      write_idx(prefix + "-images-idx3-ubyte", {n, 28, 28}, images.data_ptr<std::uint8_t>());
      write_idx(prefix + "-labels-idx1-ubyte", {n}, labels.data_ptr<std::uint8_t>());
    }
    return d;
  }();
  return dir;
}

// The flags every run below shares: the same data, recipe and thread count.
std::string common_flags() {
  return "--data " + small_data_dir() + " --batch-size 32 --seed 7 --threads 2";
}

struct Result {
  int status;
  std::string output;  // stdout and stderr together
};

Result train_lenet(const std::string& args) {
  test::ProgramResult r = test::run_program(kTrainLenet + " " + args, "train_lenet_test", /*merge_stderr=*/true);
  return {r.status, r.out};
}

// Runs train_lenet with its output on a pipe and SIGKILLs it as soon as `marker` appears there.
// Returns what it printed.
std::string train_lenet_until(const std::vector<std::string>& args, const std::string& marker) {
  std::vector<char*> argv{const_cast<char*>(kTrainLenet.c_str())};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);  // built before fork(): the child only dup2s and execs
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string seen;
  char buffer[4096];
  while (seen.find(marker) == std::string::npos) {
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    seen.append(buffer, static_cast<std::size_t>(n));
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(fds[0]);
  return seen;
}

// A metrics CSV without its last column (seconds, the one thing a resume may change).
std::string without_seconds(const std::string& csv) {
  std::istringstream in(csv);
  std::string line, out;
  while (std::getline(in, line)) out += line.substr(0, line.rfind(',')) + "\n";
  return out;
}

// Every tensor and number of two checkpoints is bit-identical, except the metrics' seconds.
void check_same_checkpoint(const std::string& path_a, const std::string& path_b) {
  INFO(path_a, " vs ", path_b);
  const Value a = ember::load(path_a), b = ember::load(path_b);
  CHECK(a.at("epoch").as_int() == b.at("epoch").as_int());
  CHECK(a.at("loss").as_double() == b.at("loss").as_double());
  const Value& model_a = a.at("model_state_dict");
  const Value& model_b = b.at("model_state_dict");
  REQUIRE(model_a.keys() == model_b.keys());
  for (std::size_t i = 0; i < model_a.size(); ++i) {
    INFO(key_str(model_a.keys()[i]));
    CHECK(equal(model_a.values()[i].as_tensor(), model_b.values()[i].as_tensor()));
  }
  const Value& state_a = a.at("optimizer_state_dict").at("state");
  const Value& state_b = b.at("optimizer_state_dict").at("state");
  REQUIRE(state_a.size() == 10);
  REQUIRE(state_b.size() == 10);
  for (std::int64_t i = 0; i < 10; ++i) {
    CHECK(equal(state_a.at(Key(i)).at("momentum_buffer").as_tensor(),
                state_b.at(Key(i)).at("momentum_buffer").as_tensor()));
  }
  CHECK(equal(a.at("ember_generator_state").as_tensor(), b.at("ember_generator_state").as_tensor()));
  const Value& rows_a = a.at("ember_metrics");
  const Value& rows_b = b.at("ember_metrics");
  REQUIRE(rows_a.size() == rows_b.size());
  for (std::size_t i = 0; i < rows_a.size(); ++i) {
    for (const char* key : {"epoch", "train_loss", "test_loss", "test_accuracy"}) {
      INFO("epoch ", i + 1, " ", key);
      CHECK(rows_a.items()[i].at(key).as_double() == rows_b.items()[i].at(key).as_double());
    }
  }
}

// The reference: 3 epochs in one run, made once and shared by the tests below.
const std::string& uninterrupted_checkpoint() {
  static const std::string path = [] {
    const std::string p = scratch("straight.pt");
    const Result r = train_lenet(common_flags() + " --epochs 3 --checkpoint " + p + " --metrics " +
                                 scratch("straight.csv"));
    INFO(r.output);
    REQUIRE(r.status == 0);
    return p;
  }();
  return path;
}

bool have_train_lenet() {
  if (std::filesystem::exists(kTrainLenet)) return true;
  MESSAGE("skipped: ", kTrainLenet, " is not built");
  return false;
}

}  // namespace

TEST_CASE("train_lenet: --help, bad flags and missing data exit with a message") {
  if (!have_train_lenet()) return;
  Result help = train_lenet("--help");
  CHECK(help.status == 0);
  for (const char* flag : {"--data", "--epochs", "--batch-size", "--lr", "--momentum", "--threads",
                           "--seed", "--checkpoint", "--resume", "--metrics", "--plot"}) {
    CHECK_MESSAGE(help.output.find(flag) != std::string::npos, flag);
  }

  Result bad = train_lenet("--epochs 0");
  CHECK(bad.status == 1);
  CHECK(bad.output.find("--epochs") != std::string::npos);
  CHECK(train_lenet("--no-such-flag").status == 1);

  Result no_data = train_lenet("--data " + scratch("no-such-folder") + " --epochs 1");
  CHECK(no_data.status == 1);
  INFO(no_data.output);
  CHECK(no_data.output.find("train_lenet: ") == 0);
  CHECK(no_data.output.find("train-images-idx3-ubyte") != std::string::npos);

  Result no_checkpoint = train_lenet("--resume " + scratch("no-such.pt"));
  CHECK(no_checkpoint.status == 1);
  CHECK(no_checkpoint.output.find("no-such.pt") != std::string::npos);
}

TEST_CASE("train_lenet: stopped and resumed, or killed in epoch 2 and resumed, gives the same bits") {
  if (!have_train_lenet()) return;
  const std::string straight = uninterrupted_checkpoint();
  const std::string straight_csv = test::read_file(scratch("straight.csv"));
  CHECK(straight_csv.rfind("epoch,train_loss,test_loss,test_accuracy,seconds\n1,", 0) == 0);
  const Value reference = ember::load(straight);
  CHECK(reference.at("epoch").as_int() == 3);
  CHECK(reference.at("ember_metrics").size() == 3);
  // PyTorch 2.6's default torch.load (weights_only=True) opens the checkpoint.
  const test::WeightsOnlyReport safe = test::check_weights_only_file(straight, test::TorchRules::pytorch_2_6);
  CHECK_MESSAGE(safe.accepted, safe.describe());
  
  SUBCASE("1 epoch, stop, --resume to 3") {
    const std::string ckpt = scratch("resumed.pt"), csv = scratch("resumed.csv"), svg = scratch("resumed.svg");
    std::filesystem::remove(ckpt);
    Result first = train_lenet(common_flags() + " --epochs 1 --checkpoint " + ckpt + " --metrics " + csv);
    INFO(first.output);
    REQUIRE(first.status == 0);
    CHECK(ember::load(ckpt).at("epoch").as_int() == 1);

    // A flag that contradicts the checkpoint's recipe is refused, naming it.
    Result changed = train_lenet(common_flags() + " --epochs 3 --lr 0.1 --resume " + ckpt);
    CHECK(changed.status == 1);
    CHECK(changed.output.find("--lr 0.1 differs") != std::string::npos);

    Result second = train_lenet(common_flags() + " --epochs 3 --resume " + ckpt + " --metrics " + csv +
                                " --plot " + svg);
    INFO(second.output);
    REQUIRE(second.status == 0);
    CHECK(second.output.find("resumed from") != std::string::npos);
    check_same_checkpoint(straight, ckpt);
    CHECK(without_seconds(test::read_file(csv)) == without_seconds(straight_csv));
    CHECK(test::read_file(svg).find("<svg") != std::string::npos);
  }

  SUBCASE("SIGKILL in the middle of epoch 2, --resume from the last checkpoint") {
    const std::string ckpt = scratch("killed.pt"), csv = scratch("killed.csv");
    // The kill lands after batch 3 of 8 of epoch 2; on a very busy machine the run may get
    // further before the signal arrives, so try again if it already finished the epoch.
    std::int64_t epoch_at_kill = -1;
    for (int attempt = 0; attempt < 3 && epoch_at_kill != 1; ++attempt) {
      std::filesystem::remove(ckpt);
      std::filesystem::remove(csv);
      std::vector<std::string> args{"--data", small_data_dir(), "--batch-size", "32", "--seed", "7",
                                    "--threads", "2", "--epochs", "3", "--checkpoint", ckpt,
                                    "--metrics", csv, "--log-interval", "0"};
      const std::string seen = train_lenet_until(args, "epoch 2/3: 3/8 batches");
      INFO(seen);
      REQUIRE(seen.find("epoch 2/3: 3/8 batches") != std::string::npos);
      epoch_at_kill = ember::load(ckpt).at("epoch").as_int();
    }
    REQUIRE(epoch_at_kill == 1);

    Result resumed = train_lenet(common_flags() + " --epochs 3 --resume " + ckpt + " --metrics " + csv);
    INFO(resumed.output);
    REQUIRE(resumed.status == 0);
    check_same_checkpoint(straight, ckpt);
    CHECK(without_seconds(test::read_file(csv)) == without_seconds(straight_csv));
  }
}

TEST_CASE("train_lenet: PyTorch loads the checkpoint and scores the accuracy ember printed") {
  if (!have_train_lenet()) return;
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
    MESSAGE("skipped: /usr/bin/python3 cannot import torch");
    return;
  }
  const std::string command = "/usr/bin/python3 " + std::string(EMBER_SOURCE_DIR) +
                              "/examples/pytorch_check.py --data " + small_data_dir() + " " +
                              uninterrupted_checkpoint();
  const test::ProgramResult r = test::run_program(command, "train_lenet_test", /*merge_stderr=*/true);
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("pytorch_check: OK") != std::string::npos);
}
