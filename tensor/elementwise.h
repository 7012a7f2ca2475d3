// Internal: elementwise kernels shared by the op files (unary maps, binary maps with
// broadcasting). Each returns a new contiguous tensor; none records autograd.
#pragma once

#include "ember/tensor/dispatch.h"
#include "ember/tensor/strided.h"
#include "ember/tensor/tensor.h"

namespace ember::detail {

// out[i] = f(x[i]) with x converted to its own compute type T.
template <class T, class F>
Tensor map_unary(const Tensor& x_in, F f) {
  Tensor x = x_in.contiguous();
  Tensor out = new_tensor(x.shape(), x.dtype());
  const T* px = x.data_ptr<T>();
  T* po = out.data_ptr<T>();
  const std::int64_t n = x.numel();
#pragma omp parallel for if (n > kParallelGrain)
  for (std::int64_t i = 0; i < n; ++i) po[i] = f(px[i]);
  return out;
}

// out[i] = f(a[i], b[i]) for two tensors of one shape and dtype T (backward kernels).
template <class T, class F>
Tensor map_binary_same(const Tensor& a_in, const Tensor& b_in, F f) {
  Tensor a = a_in.contiguous(), b = b_in.contiguous();
  Tensor out = new_tensor(a.shape(), a.dtype());
  const T* pa = a.data_ptr<T>();
  const T* pb = b.data_ptr<T>();
  T* po = out.data_ptr<T>();
  const std::int64_t n = a.numel();
#pragma omp parallel for if (n > kParallelGrain)
  for (std::int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
  return out;
}

// out = f(a, b) broadcasting a and b (both already of dtype T) to out_shape.
template <class T, class F>
Tensor map_binary_broadcast(const Tensor& a, const Tensor& b, const Shape& out_shape, F f) {
  Tensor out = new_tensor(out_shape, a.dtype());
  T* po = out.data_ptr<T>();
  const std::int64_t n = out.numel();
  if (a.shape() == out_shape && b.shape() == out_shape && a.is_contiguous() &&
      b.is_contiguous()) {
    // Fast path: same shape, both dense; the loop vectorises.
    const T* pa = a.data_ptr<T>();
    const T* pb = b.data_ptr<T>();
#pragma omp parallel for if (n > kParallelGrain)
    for (std::int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
    return out;
  }
  if (b.numel() == 1 && a.shape() == out_shape && a.is_contiguous()) {
    // Fast path: tensor with a scalar.
    const T* pa = a.data_ptr<T>();
    const T s = *b.data_ptr<T>();
#pragma omp parallel for if (n > kParallelGrain)
    for (std::int64_t i = 0; i < n; ++i) po[i] = f(pa[i], s);
    return out;
  }
  const T* pa = a.data_ptr<T>();
  const T* pb = b.data_ptr<T>();
  const Shape sa = broadcast_strides(a.shape(), a.strides(), out_shape);
  const Shape sb = broadcast_strides(b.shape(), b.strides(), out_shape);
  std::int64_t i = 0;
  for_each_offset<2>(out_shape, {sa, sb}, [&](std::int64_t oa, std::int64_t ob) {
    po[i++] = f(pa[oa], pb[ob]);
  });
  return out;
}

}  // namespace ember::detail
