// min along a dim or over everything (torch.min, torch.argmin), and the elementwise maximum and
// minimum of two tensors (torch.maximum, torch.minimum), forward and backward.
#include <cmath>
#include <type_traits>

#include "ember/tensor/autograd.h"
#include "ember/tensor/elementwise.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"

namespace ember {

// ---- min: the maximum of -x ---------------------------------------------------------------------
// min(x) = -max(-x) picks the same element (NaN still wins, ties still give the first index),
// and the gradient flows through neg and max's own backward: dx = grad at the picked element.

std::pair<Tensor, Tensor> min(const Tensor& x, std::int64_t dim, bool keepdim) {
  const std::int64_t d = detail::wrap_dim(dim, x.dim(), "min");
  check(x.dim() == 0 || x.size(d) > 0, "min: expected a non-empty dimension to reduce, found "
        "dimension ", d, " of size 0 in a tensor of shape ", x.shape());
  auto [values, indices] = max(neg(x), dim, keepdim);
  return {neg(values), indices};
}

Tensor min(const Tensor& x) {
  check(x.numel() > 0, "min: expected a non-empty tensor (or specify the reduction dim), found "
        "shape ", x.shape());
  return neg(max(neg(x)));
}

Tensor argmin(const Tensor& x, std::int64_t dim, bool keepdim) {
  return argmax(neg(x), dim, keepdim);
}

// ---- maximum and minimum, elementwise -----------------------------------------------------------

namespace {

template <class T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(v);
  else return false;
}

// Float inputs compute in their promoted dtype, everything else in int64 (ember's integer type).
Dtype compute_dtype(const Tensor& a, const Tensor& b) {
  const Dtype d = promote_types(a.dtype(), b.dtype());
  if (d == kFloat16 || d == kBFloat16) return kFloat32;
  return is_floating_point(d) ? d : kInt64;
}

// out = pick(a, b) broadcast, with NaN propagating from either side.
Tensor pick_elementwise(const Tensor& a, const Tensor& b, bool take_max, const char* op) {
  check(a.defined() && b.defined(), op, ": expected defined tensors");
  const Dtype d = compute_dtype(a, b);
  const Shape shape = detail::broadcast_shapes(a.shape(), b.shape(), op);
  NoGradGuard no_grad;
  const Tensor ac = a.to(d), bc = b.to(d);
  return detail::dispatch_compute(d, op, [&](auto zero) {
    using T = decltype(zero);
    return detail::map_binary_broadcast<T>(ac, bc, shape, [take_max](T x, T y) {
      if (is_nan(x)) return x;
      if (is_nan(y)) return y;
      return take_max ? (x < y ? y : x) : (y < x ? y : x);
    });
  });
}

// The share of the output gradient that goes to `mine`: all of it where mine was picked (or
// where a NaN makes the comparison fail both ways, as PyTorch's masked_fill leaves it), half
// where the two tie (PyTorch's convention), none where the other input was picked.
Tensor grad_share(const Tensor& mine, const Tensor& theirs, const Shape& shape, bool take_max) {
  return detail::dispatch_floating(mine.dtype(), "maximum backward", [&](auto zero) {
    using T = decltype(zero);
    const Tensor other = theirs.to(mine.dtype());
    return detail::map_binary_broadcast<T>(mine, other, shape, [take_max](T m, T t) {
      if (m == t) return T(0.5);
      const bool lost = take_max ? m < t : m > t;
      return lost ? T(0) : T(1);
    });
  });
}

// out = max(a, b) (or min): d out / da = 1 where a was picked, 1/2 on ties, 0 elsewhere; and
// the same for b. Gradients are summed back over the dims broadcasting stretched.
Tensor pick_with_grad(const Tensor& a, const Tensor& b, bool take_max, const char* op,
                      const char* grad_fn) {
  Tensor out = pick_elementwise(a, b, take_max, op);
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  autograd::SavedTensor saved_a(a), saved_b(b);
  const Shape shape = out.shape();
  return autograd::record(out, grad_fn, {a, b}, [=](const Tensor& grad) {
    const Tensor av = saved_a.get(), bv = saved_b.get();
    Tensor ga = need_a ? sum_to(grad * grad_share(av, bv, shape, take_max), av.shape()) : Tensor();
    Tensor gb = need_b ? sum_to(grad * grad_share(bv, av, shape, take_max), bv.shape()) : Tensor();
    return std::vector<Tensor>{ga, gb};
  });
}

}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) {
  return pick_with_grad(a, b, true, "maximum", "MaximumBackward0");
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return pick_with_grad(a, b, false, "minimum", "MinimumBackward0");
}

std::pair<Tensor, Tensor> Tensor::min(std::int64_t dim, bool keepdim) const {
  return ember::min(*this, dim, keepdim);
}
Tensor Tensor::min() const { return ember::min(*this); }
Tensor Tensor::argmin(std::int64_t dim, bool keepdim) const {
  return ember::argmin(*this, dim, keepdim);
}
Tensor Tensor::maximum(const Tensor& other) const { return ember::maximum(*this, other); }
Tensor Tensor::minimum(const Tensor& other) const { return ember::minimum(*this, other); }

}  // namespace ember
