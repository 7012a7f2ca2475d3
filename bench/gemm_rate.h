// Float GEMM rates, measured in-process: Eigen's, and ember's own (tensor/gemm.h), which
// Linear, Conv2d and matmul call. Bench programs print their kernels' GFLOP/s next to these
// (gemm_peak prints them alone).
#pragma once

#include <Eigen/Core>

#include "bench/rate.h"
#include "tensor/gemm.h"

namespace ember::bench {

using RowMajorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// C (n, n) = A (n, n) B (n, n) by Eigen, repeated for about `seconds` (at least 3 products),
// with Eigen's current thread count (Eigen::setNbThreads).
inline Rate measure_gemm(int n, double seconds) {
  RowMajorMatrix a = RowMajorMatrix::Random(n, n), b = RowMajorMatrix::Random(n, n), c(n, n);
  // The warm-up call pages in c and starts the threads.
  return measure_rate(2.0 * n * n * n, seconds, [&] { c.noalias() = a * b; });
}

// The same product by ember's GEMM, with OpenMP's current thread count.
inline Rate measure_ember_gemm(int n, double seconds) {
  RowMajorMatrix a = RowMajorMatrix::Random(n, n), b = RowMajorMatrix::Random(n, n), c(n, n);
  return measure_rate(2.0 * n * n * n, seconds, [&] {
    ember::detail::gemm<float>(n, n, n, ember::detail::row_major(a.data(), n),
                               ember::detail::row_major(b.data(), n), c.data(), n,
                               /*accumulate=*/false);
  });
}

}  // namespace ember::bench
