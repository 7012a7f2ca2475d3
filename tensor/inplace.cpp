// In-place ops: add_, sub_, mul_, div_, zero_, fill_, copy_. Each bumps the storage's version
// counter, which is how autograd notices a saved tensor was overwritten.
#include "ember/tensor/autograd.h"
#include "ember/tensor/elementwise.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"

namespace ember {

namespace {

// self[i] = f(self[i], other[i]), other broadcast to self's shape and converted to its dtype.
template <class F>
void update_in_place(const Tensor& self, const Tensor& other_in, const char* op, F f) {
  NoGradGuard no_grad;
  const Shape& shape = self.shape();
  const Shape broadcast = detail::broadcast_shapes(shape, other_in.shape(), op);
  check(broadcast == shape, op, ": output with shape ", shape,
        " doesn't match the broadcast shape ", broadcast);
  Tensor other = other_in.to(self.dtype());
  detail::dispatch_compute(self.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    T* ps = self.data_ptr<T>();
    const T* po = other.data_ptr<T>();
    const std::int64_t n = self.numel();
    if (self.is_contiguous() && other.is_contiguous() && other.numel() == n) {
#pragma omp parallel for if (n > detail::kParallelGrain)
      for (std::int64_t i = 0; i < n; ++i) ps[i] = f(ps[i], po[i]);
      return;
    }
    if (self.is_contiguous() && other.numel() == 1) {
      const T s = *po;
#pragma omp parallel for if (n > detail::kParallelGrain)
      for (std::int64_t i = 0; i < n; ++i) ps[i] = f(ps[i], s);
      return;
    }
    const Shape so = detail::broadcast_strides(other.shape(), other.strides(), shape);
    detail::for_each_offset<2>(shape, {self.strides(), so}, [&](std::int64_t a, std::int64_t b) {
      ps[a] = f(ps[a], po[b]);
    });
  });
  self.storage()->bump_version();
}

// Guards and graph bookkeeping shared by the differentiable in-place ops. Returns true when
// the op was recorded in the graph (then it is done).
//
// Without grad mode, or when nothing requires grad, the update is a plain write. Otherwise, as
// in PyTorch, a leaf that requires grad refuses; a non-leaf is "rebased": the out-of-place op
// is computed on a copy of the old value, the result written into self's storage, and self's
// grad_fn replaced by the new node.
template <class OutOfPlace>
bool record_in_place(Tensor& self, const Tensor& other, const char* op, OutOfPlace out_of_place) {
  const bool tracked = grad_mode_enabled() && (self.requires_grad() ||
                                               (other.defined() && other.requires_grad()));
  if (!tracked) return false;
  check(!(self.is_leaf() && self.requires_grad()), op,
        ": a leaf Variable that requires grad is being used in an in-place operation.");
  Tensor result = out_of_place(self.clone(), other);
  {
    NoGradGuard no_grad;
    detail::copy_elements(self, result);
  }
  self.storage()->bump_version();
  self.impl()->grad_fn = result.grad_fn();
  self.impl()->requires_grad = true;
  return true;
}

}  // namespace

Tensor& Tensor::add_(const Tensor& other, double alpha) {
  if (record_in_place(*this, other, "add_",
                      [alpha](const Tensor& a, const Tensor& b) { return add(a, b, alpha); })) {
    return *this;
  }
  update_in_place(*this, other, "add_", [alpha](auto x, auto y) {
    using T = decltype(x);
    return alpha == 1.0 ? static_cast<T>(x + y) : static_cast<T>(x + static_cast<T>(alpha) * y);
  });
  return *this;
}

Tensor& Tensor::add_(double value) { return add_(scalar_tensor(value, kFloat64)); }

Tensor& Tensor::sub_(const Tensor& other, double alpha) { return add_(other, -alpha); }

Tensor& Tensor::mul_(const Tensor& other) {
  if (record_in_place(*this, other, "mul_",
                      [](const Tensor& a, const Tensor& b) { return mul(a, b); })) {
    return *this;
  }
  update_in_place(*this, other, "mul_", [](auto x, auto y) { return x * y; });
  return *this;
}

Tensor& Tensor::mul_(double value) { return mul_(scalar_tensor(value, kFloat64)); }

Tensor& Tensor::div_(double value) {
  check(is_floating_point(dtype()), "div_: result type Float can't be cast to the desired output "
        "type ", dtype_name(dtype()));
  return mul_(1.0 / value);
}

Tensor& Tensor::zero_() { return fill_(0.0); }

Tensor& Tensor::fill_(double value) {
  if (record_in_place(*this, Tensor(), "fill_", [value](const Tensor& a, const Tensor&) {
        return a * 0.0 + value;  // d(fill)/d(self) = 0
      })) {
    return *this;
  }
  if (dtype() == kFloat32 && is_contiguous()) {
    // The common case (zeroing buffers) as one tight loop.
    float* p = data_ptr<float>();
    const auto v = static_cast<float>(value);
    for (std::int64_t i = 0, n = numel(); i < n; ++i) p[i] = v;
  } else {
    // Any dtype, any strides: encode the value once, then copy its bytes to every element.
    std::byte encoded[8];
    detail::store_from_double(encoded, dtype(), value);
    if (dtype() == kInt64) {
      const auto v = static_cast<std::int64_t>(value);  // exact beyond 2^53
      std::memcpy(encoded, &v, 8);
    }
    auto* base = static_cast<std::byte*>(raw_data());
    const auto es = static_cast<std::int64_t>(element_size());
    detail::for_each_offset<1>(shape(), {strides()}, [&](std::int64_t o) {
      std::memcpy(base + o * es, encoded, static_cast<std::size_t>(es));
    });
  }
  storage()->bump_version();
  return *this;
}

Tensor& Tensor::copy_(const Tensor& src) {
  check(src.defined(), "copy_: source tensor is undefined");
  const Shape b = detail::broadcast_shapes(shape(), src.shape(), "copy_");
  check(b == shape(), "copy_: source of shape ", src.shape(),
        " cannot be broadcast to the destination's shape ", shape());
  if (record_in_place(*this, src, "copy_", [](const Tensor& a, const Tensor& s) {
        // d(copy)/d(self) = 0, d/d(src) = 1: the old value only contributes its shape.
        return add(a * 0.0, s.to(a.dtype()));
      })) {
    return *this;
  }
  detail::copy_elements(*this, src.expand(shape()));
  storage()->bump_version();
  return *this;
}

}  // namespace ember
