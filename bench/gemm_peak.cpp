// Eigen's float GEMM rate on this machine, the ceiling for ember's matmul-bound kernels:
// bench/run_train_bench compares the MLP's training FLOP/s (6 x parameters x samples/s: 2 for
// the forward product, 4 for the two backward ones) with it, in the same run and thread count.
//
//   gemm_peak --threads 1 --size 1024
//   ...
//   gflops=123.4
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include <CLI/CLI.hpp>
#include <Eigen/Core>
#include <omp.h>

int main(int argc, char** argv) {
  CLI::App app{"Eigen float GEMM GFLOP/s (C = A B, square; median product of the best size)"};
  int threads = 1;
  std::vector<int> sizes{512, 1024};
  double seconds = 1.0;
  app.add_option("--threads", threads, "Eigen threads")->check(CLI::PositiveNumber);
  app.add_option("--size", sizes, "matrix sizes n (n x n times n x n); the best rate is reported")
      ->expected(1, -1);
  app.add_option("--seconds", seconds, "time spent per size")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  omp_set_num_threads(threads);
  Eigen::setNbThreads(threads);
  double best = 0.0;
  for (int n : sizes) {
    Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n);
    Eigen::MatrixXf b = Eigen::MatrixXf::Random(n, n);
    Eigen::MatrixXf c(n, n);
    c.noalias() = a * b;  // warm-up: page in c, spin up Eigen's threads
    const double flops = 2.0 * n * n * n;
    std::vector<double> rates;
    auto begin = std::chrono::steady_clock::now();
    while (rates.size() < 3 ||
           std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count() <
               seconds) {
      auto t0 = std::chrono::steady_clock::now();
      c.noalias() = a * b;
      double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      rates.push_back(flops / dt / 1e9);
    }
    // The median product: the machine is shared, and the median is what a long run sustains;
    // the best is what an undisturbed one reaches.
    std::sort(rates.begin(), rates.end());
    double median = rates[rates.size() / 2];
    std::printf("size=%d products=%zu gflops_median=%.1f gflops_best=%.1f checksum=%.3f\n", n,
                rates.size(), median, rates.back(), c.sum());
    best = std::max(best, median);
  }
  std::printf("threads=%d\n", threads);
  std::printf("gflops=%.1f\n", best);  // the best size's median
  return 0;
}
