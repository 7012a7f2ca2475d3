// conv_bench: Conv2d forward and backward GFLOP/s for the LeNet-5 and widecnn layer shapes,
// next to the rates of Eigen's GEMM and of ember's own (tensor/gemm.h, which Conv2d
// calls) on a 512x512 float product measured in the same run, and of the cores' FMA peak above
// both, so the table shows how close the kernels are to what this CPU can do.
//
//   build-release/bench/conv_bench            # all shapes, batch 64 and 256, 1 and 2 threads
//   build-release/bench/conv_bench --quick    # shorter timings
//   build-release/bench/conv_bench --cpu-clock --threads 1
//       time by the process's CPU clock: on a machine loaded by other jobs, time spent waiting
//       for a core is then left out (meaningful for 1 thread only)
//
// FLOPs count 2 per multiply-add: forward 2 N O (C/groups) kH kW Ho Wo; backward twice that
// (dL/dinput and dL/dweight), or once that for the first layer, whose input needs no gradient
// while training ("bwd w" below times exactly that case).
#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <vector>

#include "bench/gemm_rate.h"
#include "ember/nn/functional.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/gemm.h"

using namespace ember;

namespace {

double seconds_per_run = 0.3;
bool use_cpu_clock = false;

double now_seconds() {
  timespec t{};
  clock_gettime(use_cpu_clock ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Median seconds of fn over repeated runs (after a warm-up), at least 5 runs and about
// seconds_per_run in total: the median resists the noise of a shared machine.
double median_seconds(const std::function<void()>& fn) {
  for (int i = 0; i < 2; ++i) fn();
  std::vector<double> times;
  const double start = now_seconds();
  while (times.size() < 5 || now_seconds() - start < seconds_per_run) {
    const double t0 = now_seconds();
    fn();
    times.push_back(now_seconds() - t0);
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

// A 512x512 float product by Eigen's GEMM and by ember's: the reference for what a kernel could
// reach; and the cores' FMA peak (its best call), which no kernel passes.
struct GemmPeaks {
  double eigen, ember, fma;  // GFLOP/s
};
GemmPeaks gemm_gflops() {
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const int n = 512;
  Matrix a = Matrix::Random(n, n), b = Matrix::Random(n, n), c(n, n);
  const double flops = 2.0 * n * n * n;
  const double eigen = flops / median_seconds([&] { c.noalias() = a * b; }) * 1e-9;
  const double ember = flops / median_seconds([&] {
    detail::gemm<float>(n, n, n, detail::row_major(a.data(), n), detail::row_major(b.data(), n),
                        c.data(), n, /*accumulate=*/false);
  }) * 1e-9;
  return {eigen, ember, bench::measure_fma_peak(seconds_per_run).best_gflops};
}

struct Layer {
  const char* name;
  std::int64_t in_channels, out_channels, kernel, padding, size;
};

struct Result {
  double forward, backward, backward_weight;  // GFLOP/s
};

Result bench_layer(const Layer& layer, std::int64_t batch) {
  const Tensor x = randn({batch, layer.in_channels, layer.size, layer.size});
  const Tensor w = randn({layer.out_channels, layer.in_channels, layer.kernel, layer.kernel});
  const Tensor b = randn({layer.out_channels});
  const std::int64_t out_size = layer.size + 2 * layer.padding - layer.kernel + 1;
  const double flops = 2.0 * batch * layer.out_channels * layer.in_channels * layer.kernel *
                       layer.kernel * out_size * out_size;
  const Tensor gy = randn({batch, layer.out_channels, out_size, out_size});

  Result r{};
  {
    NoGradGuard no_grad;
    r.forward = flops / median_seconds([&] {
      nn::functional::conv2d(x, w,
                             nn::functional::Conv2dFuncOptions().bias(b).padding(layer.padding));
    }) * 1e-9;
  }
  // The backward function alone (the node's kernel, without the engine's accumulation into
  // .grad), for both gradients and for the weight's only.
  for (bool input_grad : {true, false}) {
    Tensor xl = x.detach().requires_grad_(input_grad);
    Tensor wl = w.detach().requires_grad_(), bl = b.detach().requires_grad_();
    Tensor y = nn::functional::conv2d(
        xl, wl, nn::functional::Conv2dFuncOptions().bias(bl).padding(layer.padding));
    const auto& node = y.grad_fn();
    const double t = median_seconds([&] { node->backward(gy); });
    (input_grad ? r.backward : r.backward_weight) = (input_grad ? 2 : 1) * flops / t * 1e-9;
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> thread_counts = {1, 2};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      seconds_per_run = 0.05;
    } else if (std::strcmp(argv[i], "--cpu-clock") == 0) {
      use_cpu_clock = true;
    } else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      thread_counts = {std::atoi(argv[++i])};
    } else {
      std::printf("usage: conv_bench [--quick] [--cpu-clock] [--threads N]\n"
                  "Conv2d forward/backward GFLOP/s for the LeNet-5 and widecnn layers,\n"
                  "next to Eigen's and ember's 512x512 float GEMM rates and the FMA peak.\n");
      return std::strcmp(argv[i], "--help") == 0 ? 0 : 1;
    }
  }
  const std::vector<Layer> layers = {
      {"lenet conv1 1->6 k5 p2 28x28", 1, 6, 5, 2, 28},
      {"lenet conv2 6->16 k5 14x14", 6, 16, 5, 0, 14},
      {"widecnn conv1 3->32 k3 p1 32x32", 3, 32, 3, 1, 32},
      {"widecnn conv2 32->64 k3 p1 16x16", 32, 64, 3, 1, 16},
  };
  std::printf("%-34s %5s %3s %8s %8s %8s %8s %8s %8s %6s %6s\n", "layer", "batch", "thr", "fwd",
              "bwd", "bwd w", "eigen", "ember", "fma", "fwd%", "bwd%");
  for (int threads : thread_counts) {
    omp_set_num_threads(threads);
    Eigen::setNbThreads(threads);
    const GemmPeaks peaks = gemm_gflops();
    const double peak = peaks.ember;
    for (const Layer& layer : layers) {
      for (std::int64_t batch : {64, 256}) {
        const Result r = bench_layer(layer, batch);
        std::printf("%-34s %5lld %3d %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f %5.0f%% %5.0f%%\n",
                    layer.name, static_cast<long long>(batch), threads, r.forward, r.backward,
                    r.backward_weight, peaks.eigen, peak, peaks.fma, 100 * r.forward / peak,
                    100 * r.backward / peak);
      }
    }
  }
  std::printf("GFLOP/s; eigen, ember = 512x512 float GEMM by Eigen and by ember (tensor/gemm.h) "
              "with the same threads; fma = the cores' FMA peak; fwd%%, bwd%% = share of "
              "ember's GEMM\n");
  return 0;
}
