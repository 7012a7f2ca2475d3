// Internal: walking the elements of strided tensors, and reading/writing any dtype as double.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "ember/tensor/dtype.h"
#include "ember/tensor/tensor.h"

namespace ember::detail {

// Calls fn(offset_0, ..., offset_{K-1}) with the element offsets of K operands, for every
// index of shape in row-major order. strides[k] are operand k's strides (0 on broadcast dims).
// The innermost dimension runs as a plain loop; only the outer ones use the index counter.
template <std::size_t K, class Fn>
void for_each_offset(const Shape& shape, const std::vector<Shape>& strides, Fn&& fn) {
  const std::size_t nd = shape.size();
  for (std::int64_t s : shape)
    if (s == 0) return;
  std::int64_t off[K] = {};
  if (nd == 0) {
    if constexpr (K == 1) fn(off[0]);
    if constexpr (K == 2) fn(off[0], off[1]);
    if constexpr (K == 3) fn(off[0], off[1], off[2]);
    if constexpr (K == 4) fn(off[0], off[1], off[2], off[3]);
    return;
  }
  std::vector<std::int64_t> index(nd, 0);
  const std::int64_t inner = shape[nd - 1];
  std::int64_t step[K];
  for (std::size_t k = 0; k < K; ++k) step[k] = strides[k][nd - 1];
  while (true) {
    std::int64_t o[K];
    for (std::size_t k = 0; k < K; ++k) o[k] = off[k];
    for (std::int64_t i = 0; i < inner; ++i) {
      if constexpr (K == 1) fn(o[0]);
      if constexpr (K == 2) fn(o[0], o[1]);
      if constexpr (K == 3) fn(o[0], o[1], o[2]);
      if constexpr (K == 4) fn(o[0], o[1], o[2], o[3]);
      for (std::size_t k = 0; k < K; ++k) o[k] += step[k];
    }
    // Advance the outer dimensions like an odometer.
    std::size_t d = nd - 1;
    while (true) {
      if (d == 0) return;
      --d;
      ++index[d];
      for (std::size_t k = 0; k < K; ++k) off[k] += strides[k][d];
      if (index[d] < shape[d]) break;
      for (std::size_t k = 0; k < K; ++k) off[k] -= strides[k][d] * shape[d];
      index[d] = 0;
    }
  }
}

// Any dtype's element at p, as double (int64 beyond 2^53 rounds).
inline double load_as_double(const std::byte* p, Dtype dtype) {
  switch (dtype) {
    case Dtype::float32: { float v; std::memcpy(&v, p, 4); return v; }
    case Dtype::float64: { double v; std::memcpy(&v, p, 8); return v; }
    case Dtype::int64: { std::int64_t v; std::memcpy(&v, p, 8); return static_cast<double>(v); }
    case Dtype::int32: { std::int32_t v; std::memcpy(&v, p, 4); return v; }
    case Dtype::int16: { std::int16_t v; std::memcpy(&v, p, 2); return v; }
    case Dtype::int8: return static_cast<double>(static_cast<std::int8_t>(*p));
    case Dtype::uint8: return static_cast<double>(static_cast<std::uint8_t>(*p));
    case Dtype::boolean: return *p != std::byte{0} ? 1.0 : 0.0;
    case Dtype::float16: { std::uint16_t v; std::memcpy(&v, p, 2); return half_to_float(v); }
    case Dtype::bfloat16: { std::uint16_t v; std::memcpy(&v, p, 2); return bfloat16_to_float(v); }
  }
  return 0.0;
}

// Stores v at p in dtype (C++ conversion rules; bool is v != 0).
inline void store_from_double(std::byte* p, Dtype dtype, double v) {
  switch (dtype) {
    case Dtype::float32: { float x = static_cast<float>(v); std::memcpy(p, &x, 4); return; }
    case Dtype::float64: { std::memcpy(p, &v, 8); return; }
    case Dtype::int64: { auto x = static_cast<std::int64_t>(v); std::memcpy(p, &x, 8); return; }
    case Dtype::int32: { auto x = static_cast<std::int32_t>(v); std::memcpy(p, &x, 4); return; }
    case Dtype::int16: { auto x = static_cast<std::int16_t>(v); std::memcpy(p, &x, 2); return; }
    case Dtype::int8: { *p = static_cast<std::byte>(static_cast<std::int8_t>(v)); return; }
    case Dtype::uint8: { *p = static_cast<std::byte>(static_cast<std::uint8_t>(v)); return; }
    case Dtype::boolean: { *p = std::byte{v != 0.0}; return; }
    case Dtype::float16: { auto x = float_to_half(static_cast<float>(v)); std::memcpy(p, &x, 2); return; }
    case Dtype::bfloat16: { auto x = float_to_bfloat16(static_cast<float>(v)); std::memcpy(p, &x, 2); return; }
  }
}

// Copies src into dst elementwise (same shape; any strides; converts dtype). Used by
// contiguous(), clone(), to() and copy_().
void copy_elements(const Tensor& dst, const Tensor& src);

// A new contiguous tensor of this shape and dtype, uninitialised.
Tensor new_tensor(const Shape& shape, Dtype dtype);

// Normalises a possibly negative dim against ndim; throws "op: dimension out of range ...".
std::int64_t wrap_dim(std::int64_t dim, std::int64_t ndim, const char* op);

// Sizes as PyTorch's messages print them (an IntArrayRef): [2, 3].
inline std::string int_list_str(const Shape& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    out += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return out + "]";
}

// A shape seen as (outer, n, inner) around one dim: element (o, r, i) of a contiguous tensor
// sits at (o * n + r) * inner + i, so the n elements along dim are `inner` apart. A 0-d shape
// is (1, 1, 1). Ops along one dim (sort, cumsum, max) walk these lanes.
struct Lanes {
  std::int64_t outer = 1, n = 1, inner = 1;
};
inline Lanes lanes_around(const Shape& shape, std::int64_t dim) {
  Lanes l;
  for (std::size_t k = 0; k < shape.size(); ++k) {
    const auto d = static_cast<std::int64_t>(k);
    if (d < dim) l.outer *= shape[k];
    else if (d == dim) l.n = shape[k];
    else l.inner *= shape[k];
  }
  return l;
}

// The broadcast shape of a and b, as PyTorch's broadcasting rules give it.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
// Strides that read a tensor of shape/strides as if it had the (broadcast) shape `to`.
Shape broadcast_strides(const Shape& shape, const Shape& strides, const Shape& to);

}  // namespace ember::detail
