// Internal: turning a runtime Dtype into a C++ type, and parallel loops. Used by op kernels.
#pragma once

#include <cstdint>

#include "ember/tensor/dtype.h"
#include "ember/tensor/error.h"

namespace ember::detail {

// Calls fn(T{}) with T the C++ type of a compute dtype (float32, float64, int64).
// Ops that only make sense for floating point use dispatch_floating.
template <class Fn>
decltype(auto) dispatch_compute(Dtype dtype, const char* op, Fn&& fn) {
  switch (dtype) {
    case Dtype::float32: return fn(float{});
    case Dtype::float64: return fn(double{});
    case Dtype::int64: return fn(std::int64_t{});
    default:
      throw Error(str(op, ": expected a float32, float64 or int64 tensor, found ", dtype_name(dtype),
                      " (convert with .to(kFloat32))"));
  }
}

template <class Fn>
decltype(auto) dispatch_floating(Dtype dtype, const char* op, Fn&& fn) {
  switch (dtype) {
    case Dtype::float32: return fn(float{});
    case Dtype::float64: return fn(double{});
    default:
      throw Error(str(op, ": expected a float32 or float64 tensor, found ", dtype_name(dtype)));
  }
}

// Below this many elements an elementwise loop runs on one thread: starting OpenMP's team
// costs more than the work (small CNNs live here).
inline constexpr std::int64_t kParallelGrain = 32768;

}  // namespace ember::detail
