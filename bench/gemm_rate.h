// Float GEMM rates, measured in-process: Eigen's, and ember's own (tensor/gemm.h), which
// Linear, Conv2d and matmul call, and the cores' arithmetic peak above both. Bench programs
// print their kernels' GFLOP/s next to these (gemm_peak prints them alone).
#pragma once

#include <Eigen/Core>
#include <omp.h>

#include "bench/rate.h"
#include "ember/tensor/gemm.h"
#include "ember/tensor/packet.h"

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

// The ceiling of every float kernel on this machine: each of OpenMP's current threads runs
// fused multiply-adds on SIMD registers alone, with no memory traffic, in 10 independent chains
// (enough to keep two FMA units busy through a 4-cycle latency, as on x86 cores with AVX2).
// A GEMM's rate over this one is the fraction of the cores' peak that it reaches.
inline Rate measure_fma_peak(double seconds) {
  using Packet = ember::detail::Packet<float>;
  using Eigen::internal::pmadd;
  using Eigen::internal::pset1;
  constexpr int kChains = 10;
  constexpr long kSteps = 1L << 21;  // FMAs per chain and call, about 10 ms on a 3 GHz core
  const int threads = omp_get_max_threads();
  volatile float sink = 0.0f;  // the chains' results are read, so that they are computed
  const double flops = 2.0 * ember::detail::kLanes<float> * kChains * kSteps * threads;
  return measure_rate(flops, seconds, [&] {
#pragma omp parallel num_threads(threads)
    {
      // acc = acc * 0.999999 + 1e-7 tends to 0.1: no overflow and no subnormal slow path.
      const Packet scale = pset1<Packet>(0.999999f), shift = pset1<Packet>(1e-7f);
      Packet acc[kChains];
      for (int c = 0; c < kChains; ++c) acc[c] = pset1<Packet>(0.01f * c);
      for (long step = 0; step < kSteps; ++step)
        for (int c = 0; c < kChains; ++c) acc[c] = pmadd(acc[c], scale, shift);
      float total = 0.0f;
      for (int c = 0; c < kChains; ++c) total += Eigen::internal::predux(acc[c]);
#pragma omp critical
      sink = sink + total;
    }
  });
}

}  // namespace ember::bench
