// Eigen's float GEMM rate, measured in-process: the ceiling that bench programs can print their
// kernels' GFLOP/s next to (gemm_peak prints it alone).
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

#include <Eigen/Core>

namespace ember::bench {

struct GemmRate {
  int products = 0;
  double median_gflops = 0.0;  // what a long run sustains on a shared machine
  double best_gflops = 0.0;    // what an undisturbed product reaches
};

// C (n, n) = A (n, n) B (n, n), repeated for about `seconds` (at least 3 products), with
// Eigen's current thread count (Eigen::setNbThreads).
inline GemmRate measure_gemm(int n, double seconds) {
  using Clock = std::chrono::steady_clock;
  Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n);
  Eigen::MatrixXf b = Eigen::MatrixXf::Random(n, n);
  Eigen::MatrixXf c(n, n);
  c.noalias() = a * b;  // warm-up: pages in c, starts Eigen's threads
  const double flops = 2.0 * n * n * n;
  std::vector<double> rates;
  const auto begin = Clock::now();
  while (rates.size() < 3 || std::chrono::duration<double>(Clock::now() - begin).count() < seconds) {
    const auto t0 = Clock::now();
    c.noalias() = a * b;
    rates.push_back(flops / std::chrono::duration<double>(Clock::now() - t0).count() / 1e9);
  }
  std::sort(rates.begin(), rates.end());
  return {static_cast<int>(rates.size()), rates[rates.size() / 2], rates.back()};
}

}  // namespace ember::bench
