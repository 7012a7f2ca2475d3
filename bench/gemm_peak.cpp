// A float GEMM's rate on this machine: Eigen's (the default), or ember's own, the ceiling of
// ember's matmul-bound layers; or the cores' FMA peak, the ceiling of any kernel.
// bench/run_train_bench compares the MLP's training FLOP/s (6 x parameters x samples/s: 2 for
// the forward product, 4 for the two backward ones) with all three, in the same run and thread
// count.
//
//   gemm_peak --threads 1 --size 512 1024 [--kernel ember|fma]
//   ...
//   gflops=123.4
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <Eigen/Core>
#include <omp.h>

#include "bench/gemm_rate.h"

int main(int argc, char** argv) {
  CLI::App app{"Float GEMM GFLOP/s (C = A B, square; the median product of the best size)"};
  int threads = 1;
  std::string kernel = "eigen";
  std::vector<int> sizes{512, 1024};
  double seconds = 1.0;
  app.add_option("--threads", threads, "threads")->check(CLI::PositiveNumber);
  app.add_option("--kernel", kernel,
                 "whose GEMM: Eigen's or ember's (tensor/gemm.h); fma: the cores' peak")
      ->check(CLI::IsMember({"eigen", "ember", "fma"}));
  app.add_option("--size", sizes, "matrix sizes n (n x n times n x n)")->expected(1, -1);
  app.add_option("--seconds", seconds, "time spent per size")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  omp_set_num_threads(threads);
  Eigen::setNbThreads(threads);
  double best = 0.0;
  if (kernel == "fma") {  // no matrices: one measurement
    const ember::bench::Rate rate = ember::bench::measure_fma_peak(seconds);
    std::printf("calls=%d gflops_median=%.1f gflops_best=%.1f\n", rate.calls,
                rate.median_gflops, rate.best_gflops);
    best = rate.median_gflops;
  } else {
    for (int n : sizes) {
      const ember::bench::Rate rate = kernel == "ember"
                                          ? ember::bench::measure_ember_gemm(n, seconds)
                                          : ember::bench::measure_gemm(n, seconds);
      std::printf("size=%d products=%d gflops_median=%.1f gflops_best=%.1f\n", n, rate.calls,
                  rate.median_gflops, rate.best_gflops);
      best = std::max(best, rate.median_gflops);
    }
  }
  std::printf("kernel=%s threads=%d\n", kernel.c_str(), threads);
  std::printf("gflops=%.1f\n", best);
  return 0;
}
