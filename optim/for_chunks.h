// for_chunks: the update loops' OpenMP split, kept out of the public headers so that a program
// that includes ember.h compiles without -fopenmp (and without -Wunknown-pragmas). Only the
// optimizers' .cpp files include it.
#pragma once

#include <algorithm>
#include <cstdint>

namespace ember::optim::detail {

// Calls fn(begin, end) over [0, n): in one call for small n, else in chunks spread over the
// OpenMP threads. Update kernels put their loop in fn, over __restrict pointers and local
// constants, so that it vectorizes (a loop inside an OpenMP region reads its shared variables
// through pointers that the stores might alias, and is neither hoisted nor vectorized).
template <class Fn>
void for_chunks(std::int64_t n, Fn fn) {
  constexpr std::int64_t kChunk = 32768;
  if (n <= kChunk) {
    fn(std::int64_t{0}, n);
    return;
  }
  const std::int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for
  for (std::int64_t c = 0; c < chunks; ++c) fn(c * kChunk, std::min(n, (c + 1) * kChunk));
}

}  // namespace ember::optim::detail
