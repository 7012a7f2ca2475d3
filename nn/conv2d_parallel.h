// How a conv2d call spreads over threads: contiguous ranges of samples, one per thread, and
// only when the work pays for an OpenMP team. The kernels' .cpp files include it.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "ember/nn/conv2d_shape.h"

namespace ember::nn::detail {

// Below this many multiply-adds a conv runs on one thread: an OpenMP team costs microseconds.
inline constexpr double kParallelMacs = 1 << 18;

// How many contiguous ranges of samples to split a batch into: one per thread when the work is
// large enough, else one. The result depends only on the batch, the work and the thread count,
// so that partial sums combined in range order are bit-identical from run to run.
inline int sample_parts(const ConvShape& s) {
  if (s.macs() < kParallelMacs) return 1;
  return static_cast<int>(std::min<std::int64_t>(omp_get_max_threads(), s.batch));
}

// Runs fn(part, begin, end) for each of `parts` contiguous ranges of [0, n), in parallel.
template <class Fn>
void for_each_part(std::int64_t n, int parts, Fn&& fn) {
  if (parts == 1) {
    fn(0, std::int64_t{0}, n);
    return;
  }
#pragma omp parallel for schedule(static) num_threads(parts)
  for (int part = 0; part < parts; ++part) fn(part, n * part / parts, n * (part + 1) / parts);
}

}  // namespace ember::nn::detail
