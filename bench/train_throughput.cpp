// Training throughput of ember on four small models (synthetic data): forward, cross-entropy,
// backward, SGD(momentum=0.9) step and zero_grad, timed after a warm-up. bench/run_train_bench
// runs it side by side with its libtorch peer (bench/libtorch/), which prints the same lines.
//
//   train_throughput --model lenet5 --batch 64 --threads 1 --steps 200
//   ...
//   max_rss_kb=23456
//   samples_per_sec=21012.3
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <omp.h>

#include "ember/nn/activation.h"
#include "ember/nn/adaptive_avg_pool2d.h"
#include "ember/nn/batch_norm.h"
#include "ember/nn/conv2d.h"
#include "ember/nn/flatten.h"
#include "ember/nn/functional.h"
#include "ember/nn/linear.h"
#include "ember/nn/max_pool2d.h"
#include "ember/nn/sequential.h"
#include "ember/optim/sgd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/generator.h"
#include "ember/tensor/ops.h"

namespace {

using namespace ember;
using nn::Conv2d, nn::Conv2dOptions, nn::Flatten, nn::Linear, nn::MaxPool2d, nn::ReLU;
using nn::Sequential;
using std::make_shared;

namespace F = nn::functional;

// ResNet's BasicBlock (He et al. 2015): two 3x3 convs with BatchNorm, and the input added back,
// through a 1x1 conv + BN (option B) where the stride or the width changes.
// x (N,in,H,W) -> (N,out,H/stride,W/stride)
class BasicBlock : public nn::Module {
 public:
  BasicBlock(std::int64_t in, std::int64_t out, std::int64_t stride)
      : conv1(register_module("conv1", make_shared<Conv2d>(Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false)))),
        bn1(register_module("bn1", make_shared<nn::BatchNorm2d>(out))),
        conv2(register_module("conv2", make_shared<Conv2d>(Conv2dOptions(out, out, 3).padding(1).bias(false)))),
        bn2(register_module("bn2", make_shared<nn::BatchNorm2d>(out))) {
    if (stride != 1 || in != out) {
      shortcut = register_module(
          "shortcut", make_shared<Sequential>(make_shared<Conv2d>(Conv2dOptions(in, out, 1).stride(stride).bias(false)),
                                              make_shared<nn::BatchNorm2d>(out)));
    }
  }

  Tensor forward(const Tensor& x) override {
    Tensor y = F::relu(bn1->forward(conv1->forward(x)));
    y = bn2->forward(conv2->forward(y));
    return F::relu(y + (shortcut ? shortcut->forward(x) : x));
  }

  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<nn::BatchNorm2d> bn1;
  std::shared_ptr<Conv2d> conv2;
  std::shared_ptr<nn::BatchNorm2d> bn2;
  std::shared_ptr<Sequential> shortcut;  // null for the identity shortcut
};

// ResNet-20 fixed so that every peer runs the same one: a 16-channel stem, 3 stages of 3 BasicBlocks with
// 16, 32 and 64 channels (stride 2 at the first block of stages 2 and 3), global average
// pooling and Linear(64, 10), on 1x28x28 input.
std::shared_ptr<Sequential> resnet20() {
  auto net = make_shared<Sequential>(make_shared<Conv2d>(Conv2dOptions(1, 16, 3).padding(1).bias(false)),
                                     make_shared<nn::BatchNorm2d>(16), make_shared<ReLU>());
  std::int64_t in = 16;
  for (std::int64_t width : {16, 32, 64}) {
    for (int block = 0; block < 3; ++block) {
      const std::int64_t stride = block == 0 && width != 16 ? 2 : 1;
      net->push_back(make_shared<BasicBlock>(in, width, stride));
      in = width;
    }
  }
  net->push_back(make_shared<nn::AdaptiveAvgPool2d>(1));
  net->push_back(make_shared<Flatten>());
  net->push_back(make_shared<Linear>(64, 10));
  return net;
}

// A model and the shape of one input sample (C, H, W, or features for the MLP).
struct Model {
  std::shared_ptr<Sequential> net;
  Shape sample_shape;
};

Model make_model(const std::string& name) {
  if (name == "lenet5") {
    // The train_lenet model on 1x28x28 (padding 2 keeps the first conv at 28x28).
    return {make_shared<Sequential>(
                make_shared<Conv2d>(Conv2dOptions(1, 6, 5).padding(2)), make_shared<ReLU>(),
                make_shared<MaxPool2d>(2), make_shared<Conv2d>(6, 16, 5), make_shared<ReLU>(),
                make_shared<MaxPool2d>(2),
                make_shared<Flatten>(), make_shared<Linear>(400, 120), make_shared<ReLU>(),
                make_shared<Linear>(120, 84), make_shared<ReLU>(), make_shared<Linear>(84, 10)),
            {1, 28, 28}};
  }
  if (name == "mlp") {
    return {make_shared<Sequential>(make_shared<Linear>(784, 1024), make_shared<ReLU>(),
                                    make_shared<Linear>(1024, 1024), make_shared<ReLU>(),
                                    make_shared<Linear>(1024, 10)),
            {784}};
  }
  if (name == "widecnn") {
    return {make_shared<Sequential>(
                make_shared<Conv2d>(Conv2dOptions(3, 32, 3).padding(1)), make_shared<ReLU>(),
                make_shared<MaxPool2d>(2),
                make_shared<Conv2d>(Conv2dOptions(32, 64, 3).padding(1)), make_shared<ReLU>(),
                make_shared<MaxPool2d>(2),
                make_shared<Flatten>(), make_shared<Linear>(64 * 8 * 8, 256), make_shared<ReLU>(),
                make_shared<Linear>(256, 10)),
            {3, 32, 32}};
  }
  if (name == "resnet20") return {resnet20(), {1, 28, 28}};
  throw std::invalid_argument("unknown model " + name);
}

// User and system CPU time of the whole process (all threads), in seconds.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Training throughput of ember on a small model (synthetic data)"};
  std::string model_name = "lenet5";
  std::int64_t batch = 64;
  int threads = 1;
  int steps = 100;
  int warmup = 10;
  app.add_option("--model", model_name, "lenet5, mlp, widecnn or resnet20")
      ->check(CLI::IsMember({"lenet5", "mlp", "widecnn", "resnet20"}));
  app.add_option("--batch", batch, "samples per step")->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "OpenMP and Eigen threads")->check(CLI::PositiveNumber);
  app.add_option("--steps", steps, "timed steps")->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "untimed steps first")->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);

  // ember's kernels, its GEMM included, split their work among OpenMP's threads.
  omp_set_num_threads(threads);
  manual_seed(0);
  Model model = make_model(model_name);
  Shape input_shape{batch};
  input_shape.insert(input_shape.end(), model.sample_shape.begin(), model.sample_shape.end());
  // One synthetic batch, reused every step: the data pipeline is not what is measured.
  Tensor input = randn(input_shape);
  Tensor target = randint(0, 10, {batch});
  optim::SGD optimizer(model.net->parameters(), optim::SGDOptions(0.01).momentum(0.9));

  auto step = [&] {
    Tensor loss = nn::functional::cross_entropy(model.net->forward(input), target);
    loss.backward();
    optimizer.step();
    optimizer.zero_grad();  // set_to_none, as PyTorch's fastest form
    return loss;
  };

  for (int i = 0; i < warmup; ++i) step();
  const double cpu_start = cpu_seconds();
  auto start = std::chrono::steady_clock::now();
  Tensor loss;
  for (int i = 0; i < steps; ++i) loss = step();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = cpu_seconds() - cpu_start;

  std::int64_t parameters = 0;
  for (const Tensor& p : model.net->parameters()) parameters += p.numel();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("framework=ember model=%s batch=%lld threads=%d steps=%d warmup=%d\n",
              model_name.c_str(), static_cast<long long>(batch), threads, steps, warmup);
  std::printf("parameters=%lld final_loss=%.4f seconds=%.3f\n",
              static_cast<long long>(parameters), loss.item(), seconds);
  // samples per CPU-second: on a machine shared with other jobs, time spent waiting for a core
  // is left out (comparable between programs at 1 thread; at 2 it measures efficiency).
  std::printf("cpu_seconds=%.3f samples_per_cpu_sec=%.1f\n", cpu,
              static_cast<double>(batch) * steps / cpu);
  std::printf("max_rss_kb=%ld\n", usage.ru_maxrss);
  std::printf("samples_per_sec=%.1f\n", static_cast<double>(batch) * steps / seconds);
  return 0;
}
