// libtorch's float GEMM rate (torch::mm, which calls the system BLAS: OpenBLAS in
// bench/run_train_bench), the peer of bench/gemm_peak.cpp with the same flags and output lines.
// Next to Eigen's rate it shows how much of a GEMM-bound model's gap between ember and libtorch
// is the GEMM itself.
//
//   gemm_peak_libtorch --threads 1 --size 512 1024
//   ...
//   gflops=78.9
#include <algorithm>
#include <cstdio>
#include <vector>

#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include "bench/rate.h"

int main(int argc, char** argv) {
  CLI::App app{
      "libtorch float GEMM GFLOP/s (C = A B, square; the median product of the best size)"};
  int threads = 1;
  std::vector<int> sizes{512, 1024};
  double seconds = 1.0;
  app.add_option("--threads", threads, "intra-op threads")->check(CLI::PositiveNumber);
  app.add_option("--size", sizes, "matrix sizes n (n x n times n x n)")->expected(1, -1);
  app.add_option("--seconds", seconds, "time spent per size")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  torch::set_num_threads(threads);
  torch::NoGradGuard no_grad;
  double best = 0.0;
  for (int n : sizes) {
    const torch::Tensor a = torch::rand({n, n}), b = torch::rand({n, n});
    torch::Tensor c = torch::empty({n, n});
    const ember::bench::Rate rate =
        ember::bench::measure_rate(2.0 * n * n * n, seconds, [&] { torch::mm_out(c, a, b); });
    std::printf("size=%d products=%d gflops_median=%.1f gflops_best=%.1f\n", n, rate.calls,
                rate.median_gflops, rate.best_gflops);
    best = std::max(best, rate.median_gflops);
  }
  std::printf("threads=%d\n", threads);
  std::printf("gflops=%.1f\n", best);
  return 0;
}
