// A count known only at run time, handed to code that needs it at compile time: kernels whose
// register blocks (arrays of SIMD accumulators) must have a constant size to live in registers.
#pragma once

#include <cstdint>
#include <type_traits>

namespace ember::detail {

// Calls fn(std::integral_constant<int, n>{}) for the run-time count 1 <= n <= Max (n < 1 is
// taken as 1), so that fn can use n as a template argument: one instance of fn per count.
template <int Max, class Fn>
void with_static_count(std::int64_t n, Fn&& fn) {
  if constexpr (Max > 1) {
    if (n < Max) return with_static_count<Max - 1>(n, fn);
  }
  fn(std::integral_constant<int, Max>{});
}

}  // namespace ember::detail
