// Binary elementwise ops with broadcasting and type promotion: + - * /, forward and backward.
#include "ember/tensor/elementwise.h"

#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"

namespace ember {

namespace {

// The dtype a binary op computes in: PyTorch's promotion, with bool and small ints widened to
// int64 (ember's integer compute type).
Dtype compute_dtype(const Tensor& a, const Tensor& b, const char* op) {
  check(a.defined() && b.defined(), op, ": expected defined tensors");
  Dtype d = promote_types(a.dtype(), b.dtype());
  if (d == kFloat16 || d == kBFloat16) return kFloat32;
  if (!is_floating_point(d)) return kInt64;
  return d;
}

// A scalar as a 0-d tensor that combines with x the way a Python number does: it takes x's
// dtype, unless x is integral and the number is not (then float32).
Tensor wrap_scalar(const Tensor& x, double value) {
  Dtype d = x.dtype();
  if (!is_floating_point(d) && value != static_cast<double>(static_cast<std::int64_t>(value))) {
    d = kFloat32;
  }
  return scalar_tensor(value, d);
}

template <class F>
Tensor apply_binary(const Tensor& a, const Tensor& b, const char* op, F f) {
  const Dtype d = compute_dtype(a, b, op);
  const Shape out_shape = detail::broadcast_shapes(a.shape(), b.shape(), op);
  NoGradGuard no_grad;  // the caller records one node for the whole op
  Tensor ac = a.to(d), bc = b.to(d);
  return detail::dispatch_compute(d, op, [&](auto zero) {
    using T = decltype(zero);
    return detail::map_binary_broadcast<T>(ac, bc, out_shape, [f](T x, T y) { return f(x, y); });
  });
}

}  // namespace

// out = a + alpha * b;  d/da = 1, d/db = alpha (summed back over broadcast dims).
Tensor add(const Tensor& a, const Tensor& b, double alpha) {
  Tensor out = apply_binary(a, b, "add", [alpha](auto x, auto y) {
    using T = decltype(x);
    return alpha == 1.0 ? x + y : static_cast<T>(x + static_cast<T>(alpha) * y);
  });
  const Shape sa = a.shape(), sb = b.shape();
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  return autograd::record(out, "AddBackward0", {a, b}, [=](const Tensor& grad) {
    Tensor ga = need_a ? sum_to(grad, sa) : Tensor();
    Tensor gb = need_b ? sum_to(alpha == 1.0 ? grad : grad * alpha, sb) : Tensor();
    return std::vector<Tensor>{ga, gb};
  });
}

// out = a - alpha * b;  d/da = 1, d/db = -alpha.
Tensor sub(const Tensor& a, const Tensor& b, double alpha) {
  Tensor out = apply_binary(a, b, "sub", [alpha](auto x, auto y) {
    using T = decltype(x);
    return alpha == 1.0 ? x - y : static_cast<T>(x - static_cast<T>(alpha) * y);
  });
  const Shape sa = a.shape(), sb = b.shape();
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  return autograd::record(out, "SubBackward0", {a, b}, [=](const Tensor& grad) {
    Tensor ga = need_a ? sum_to(grad, sa) : Tensor();
    Tensor gb = need_b ? sum_to(grad * -alpha, sb) : Tensor();
    return std::vector<Tensor>{ga, gb};
  });
}

// out = a * b;  d/da = b, d/db = a.
Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = apply_binary(a, b, "mul", [](auto x, auto y) { return x * y; });
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  // Save only what the other input's gradient needs.
  autograd::SavedTensor saved_a(need_b ? a : Tensor()), saved_b(need_a ? b : Tensor());
  const Shape sa = a.shape(), sb = b.shape();
  return autograd::record(out, "MulBackward0", {a, b}, [=](const Tensor& grad) {
    Tensor ga = need_a ? sum_to(grad * saved_b.get(), sa) : Tensor();
    Tensor gb = need_b ? sum_to(grad * saved_a.get(), sb) : Tensor();
    return std::vector<Tensor>{ga, gb};
  });
}

// out = a / b;  d/da = 1 / b, d/db = -a / b^2.
Tensor div(const Tensor& a, const Tensor& b) {
  // True division: integers divide as floats, as in PyTorch.
  Dtype d = compute_dtype(a, b, "div");
  if (!is_floating_point(d)) {
    return div(a.to(kFloat32), b.to(kFloat32));
  }
  Tensor out = apply_binary(a, b, "div", [](auto x, auto y) { return x / y; });
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  autograd::SavedTensor saved_a(need_b ? a : Tensor()), saved_b(b);
  const Shape sa = a.shape(), sb = b.shape();
  return autograd::record(out, "DivBackward0", {a, b}, [=](const Tensor& grad) {
    Tensor bv = saved_b.get();
    Tensor ga = need_a ? sum_to(grad / bv, sa) : Tensor();
    Tensor gb = need_b ? sum_to(-(grad * saved_a.get()) / (bv * bv), sb) : Tensor();
    return std::vector<Tensor>{ga, gb};
  });
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, double b) { return add(a, wrap_scalar(a, b)); }
Tensor operator-(const Tensor& a, double b) { return sub(a, wrap_scalar(a, b)); }
Tensor operator*(const Tensor& a, double b) { return mul(a, wrap_scalar(a, b)); }
Tensor operator/(const Tensor& a, double b) { return div(a, wrap_scalar(a, b)); }
Tensor operator+(double a, const Tensor& b) { return add(wrap_scalar(b, a), b); }
Tensor operator-(double a, const Tensor& b) { return sub(wrap_scalar(b, a), b); }
Tensor operator*(double a, const Tensor& b) { return mul(wrap_scalar(b, a), b); }
Tensor operator/(double a, const Tensor& b) { return div(wrap_scalar(b, a), b); }
Tensor operator-(const Tensor& a) { return neg(a); }

}  // namespace ember
