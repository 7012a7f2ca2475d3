// Eigen's float GEMM rate, measured in-process: the ceiling that bench programs can print their
// kernels' GFLOP/s next to (gemm_peak prints it alone).
#pragma once

#include <Eigen/Core>

#include "bench/rate.h"

namespace ember::bench {

// C (n, n) = A (n, n) B (n, n), repeated for about `seconds` (at least 3 products), with
// Eigen's current thread count (Eigen::setNbThreads).
inline Rate measure_gemm(int n, double seconds) {
  Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n);
  Eigen::MatrixXf b = Eigen::MatrixXf::Random(n, n);
  Eigen::MatrixXf c(n, n);
  // The warm-up call pages in c and starts Eigen's threads.
  return measure_rate(2.0 * n * n * n, seconds, [&] { c.noalias() = a * b; });
}

}  // namespace ember::bench
