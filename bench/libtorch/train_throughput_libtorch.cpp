// Training throughput of libtorch (PyTorch's C++ frontend) on the four models of
// bench/train_throughput.cpp, with the same flags and the same output lines, so that
// bench/run_train_bench can run the two side by side.
//
//   train_throughput_libtorch --model lenet5 --batch 64 --threads 1 --steps 200
//   ...
//   max_rss_kb=123456
//   samples_per_sec=6012.3
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <torch/torch.h>

namespace {

namespace tnn = torch::nn;

// ResNet's BasicBlock with option-B shortcuts, as in train_throughput.cpp.
struct BasicBlockImpl : tnn::Module {
  BasicBlockImpl(int64_t in, int64_t out, int64_t stride)
      : conv1(register_module("conv1", tnn::Conv2d(tnn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false)))),
        bn1(register_module("bn1", tnn::BatchNorm2d(out))),
        conv2(register_module("conv2", tnn::Conv2d(tnn::Conv2dOptions(out, out, 3).padding(1).bias(false)))),
        bn2(register_module("bn2", tnn::BatchNorm2d(out))) {
    if (stride != 1 || in != out) {
      shortcut = register_module("shortcut", tnn::Sequential(tnn::Conv2d(tnn::Conv2dOptions(in, out, 1).stride(stride).bias(false)),
                                                             tnn::BatchNorm2d(out)));
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu(bn1->forward(conv1->forward(x)));
    y = bn2->forward(conv2->forward(y));
    return torch::relu(y + (shortcut.is_empty() ? x : shortcut->forward(x)));
  }
  tnn::Conv2d conv1;
  tnn::BatchNorm2d bn1;
  tnn::Conv2d conv2;
  tnn::BatchNorm2d bn2;
  tnn::Sequential shortcut{nullptr};
};
TORCH_MODULE(BasicBlock);

tnn::Sequential resnet20() {
  tnn::Sequential net(tnn::Conv2d(tnn::Conv2dOptions(1, 16, 3).padding(1).bias(false)), tnn::BatchNorm2d(16),
                      tnn::ReLU());
  int64_t in = 16;
  for (int64_t width : {16, 32, 64}) {
    for (int block = 0; block < 3; ++block) {
      net->push_back(BasicBlock(in, width, block == 0 && width != 16 ? 2 : 1));
      in = width;
    }
  }
  net->push_back(tnn::AdaptiveAvgPool2d(1));
  net->push_back(tnn::Flatten());
  net->push_back(tnn::Linear(64, 10));
  return net;
}

// Each model and the shape of one input sample (C, H, W or features), as in train_throughput.cpp.
struct Model {
  tnn::Sequential net;
  std::vector<int64_t> sample_shape;
};

Model make_model(const std::string& name) {
  if (name == "lenet5") {
    // The train_lenet model on 1x28x28 (padding 2 keeps the first conv at 28x28).
    return {tnn::Sequential(tnn::Conv2d(tnn::Conv2dOptions(1, 6, 5).padding(2)), tnn::ReLU(),
                            tnn::MaxPool2d(tnn::MaxPool2dOptions(2).stride(2)),
                            tnn::Conv2d(tnn::Conv2dOptions(6, 16, 5)), tnn::ReLU(),
                            tnn::MaxPool2d(tnn::MaxPool2dOptions(2).stride(2)), tnn::Flatten(),
                            tnn::Linear(400, 120), tnn::ReLU(), tnn::Linear(120, 84), tnn::ReLU(),
                            tnn::Linear(84, 10)),
            {1, 28, 28}};
  }
  if (name == "mlp") {
    return {tnn::Sequential(tnn::Linear(784, 1024), tnn::ReLU(), tnn::Linear(1024, 1024),
                            tnn::ReLU(), tnn::Linear(1024, 10)),
            {784}};
  }
  if (name == "widecnn") {
    return {tnn::Sequential(tnn::Conv2d(tnn::Conv2dOptions(3, 32, 3).padding(1)), tnn::ReLU(),
                            tnn::MaxPool2d(2),
                            tnn::Conv2d(tnn::Conv2dOptions(32, 64, 3).padding(1)), tnn::ReLU(),
                            tnn::MaxPool2d(2), tnn::Flatten(), tnn::Linear(64 * 8 * 8, 256),
                            tnn::ReLU(), tnn::Linear(256, 10)),
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
  CLI::App app{"Training throughput of libtorch on a small model (synthetic data)"};
  std::string model_name = "lenet5";
  int64_t batch = 64;
  int threads = 1;
  int steps = 100;
  int warmup = 10;
  app.add_option("--model", model_name, "lenet5, mlp, widecnn or resnet20")
      ->check(CLI::IsMember({"lenet5", "mlp", "widecnn", "resnet20"}));
  app.add_option("--batch", batch, "samples per step")->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "intra-op threads")->check(CLI::PositiveNumber);
  app.add_option("--steps", steps, "timed steps")->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "untimed steps first")->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);

  torch::set_num_threads(threads);
  torch::manual_seed(0);
  Model model = make_model(model_name);
  std::vector<int64_t> input_shape{batch};
  input_shape.insert(input_shape.end(), model.sample_shape.begin(), model.sample_shape.end());
  // One synthetic batch, reused every step: the data pipeline is not what is measured.
  torch::Tensor input = torch::randn(input_shape);
  torch::Tensor target = torch::randint(0, 10, {batch}, torch::kLong);
  torch::optim::SGD optimizer(model.net->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));

  auto step = [&] {
    torch::Tensor loss = torch::nn::functional::cross_entropy(model.net->forward(input), target);
    loss.backward();
    optimizer.step();
    // set_to_none, PyTorch's fastest form (optimizer.zero_grad() in 1.13 fills zeros).
    model.net->zero_grad(/*set_to_none=*/true);
    return loss;
  };

  for (int i = 0; i < warmup; ++i) step();
  const double cpu_start = cpu_seconds();
  auto start = std::chrono::steady_clock::now();
  torch::Tensor loss;
  for (int i = 0; i < steps; ++i) loss = step();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = cpu_seconds() - cpu_start;

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("framework=libtorch model=%s batch=%lld threads=%d steps=%d warmup=%d\n",
              model_name.c_str(), static_cast<long long>(batch), threads, steps, warmup);
  std::printf("final_loss=%.4f seconds=%.3f\n", loss.item<float>(), seconds);
  // samples per CPU-second: on a machine shared with other jobs, time spent waiting for a core
  // is left out (comparable between programs at 1 thread; at 2 it measures efficiency).
  std::printf("cpu_seconds=%.3f samples_per_cpu_sec=%.1f\n", cpu,
              static_cast<double>(batch) * steps / cpu);
  std::printf("max_rss_kb=%ld\n", usage.ru_maxrss);
  std::printf("samples_per_sec=%.1f\n", static_cast<double>(batch) * steps / seconds);
  return 0;
}
