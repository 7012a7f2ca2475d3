// One-input elementwise ops, forward and backward side by side.
#include <cmath>

#include "ember/tensor/autograd.h"
#include "ember/tensor/elementwise.h"
#include "ember/tensor/ops.h"

namespace ember {

namespace {

// y = f(x) for floating x (integers are promoted to float32 first, as torch.exp does).
template <class F>
Tensor float_map(const Tensor& x, const char* op, F f) {
  NoGradGuard no_grad;
  Tensor xf = is_floating_point(x.dtype()) && x.dtype() != kFloat16 && x.dtype() != kBFloat16
                  ? x
                  : x.to(kFloat32);
  return detail::dispatch_floating(xf.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    return detail::map_unary<T>(xf, [f](T v) { return static_cast<T>(f(v)); });
  });
}

// grad_in = grad * g(saved) elementwise, with g chosen per dtype.
template <class G>
Tensor grad_times(const Tensor& grad, const Tensor& saved, G g) {
  return detail::dispatch_floating(grad.dtype(), "backward", [&](auto zero) {
    using T = decltype(zero);
    return detail::map_binary_same<T>(grad, saved.to(grad.dtype()),
                                      [g](T dy, T s) { return static_cast<T>(dy * g(s)); });
  });
}

}  // namespace

// y = -x;  dy/dx = -1.
Tensor neg(const Tensor& x) {
  Tensor y;
  {
    NoGradGuard no_grad;
    y = detail::dispatch_compute(x.dtype(), "neg", [&](auto zero) {
      using T = decltype(zero);
      return detail::map_unary<T>(x, [](T v) { return static_cast<T>(-v); });
    });
  }
  return autograd::record(y, "NegBackward0", {x}, [](const Tensor& grad) {
    return std::vector<Tensor>{neg(grad)};
  });
}

// y = x^p;  dy/dx = p * x^(p-1).
Tensor pow(const Tensor& x, double p) {
  Tensor y = float_map(x, "pow", [p](auto v) {
    using T = decltype(v);
    if (p == 2.0) return static_cast<T>(v * v);
    return static_cast<T>(std::pow(v, static_cast<T>(p)));
  });
  autograd::SavedTensor saved_x(x);
  return autograd::record(y, "PowBackward0", {x}, [saved_x, p](const Tensor& grad) {
    return std::vector<Tensor>{grad_times(grad, saved_x.get(), [p](auto v) {
      using T = decltype(v);
      return p == 0.0 ? T(0) : static_cast<T>(p * std::pow(v, static_cast<T>(p - 1.0)));
    })};
  });
}

// y = e^x;  dy/dx = y.
Tensor exp(const Tensor& x) {
  Tensor y = float_map(x, "exp", [](auto v) { return std::exp(v); });
  autograd::SavedTensor saved_y(y);
  return autograd::record(y, "ExpBackward0", {x}, [saved_y](const Tensor& grad) {
    return std::vector<Tensor>{grad_times(grad, saved_y.get(), [](auto s) { return s; })};
  });
}

// y = ln x;  dy/dx = 1 / x.
Tensor log(const Tensor& x) {
  Tensor y = float_map(x, "log", [](auto v) { return std::log(v); });
  autograd::SavedTensor saved_x(x);
  return autograd::record(y, "LogBackward0", {x}, [saved_x](const Tensor& grad) {
    return std::vector<Tensor>{grad / saved_x.get().to(grad.dtype())};
  });
}

// y = sqrt(x);  dy/dx = 1 / (2 y).
Tensor sqrt(const Tensor& x) {
  Tensor y = float_map(x, "sqrt", [](auto v) { return std::sqrt(v); });
  autograd::SavedTensor saved_y(y);
  return autograd::record(y, "SqrtBackward0", {x}, [saved_y](const Tensor& grad) {
    return std::vector<Tensor>{grad / (saved_y.get() * 2.0)};
  });
}

// y = |x|;  dy/dx = sign(x) (0 at 0, as PyTorch).
Tensor abs(const Tensor& x) {
  Tensor y;
  {
    NoGradGuard no_grad;
    y = detail::dispatch_compute(x.dtype(), "abs", [&](auto zero) {
      using T = decltype(zero);
      return detail::map_unary<T>(x, [](T v) { return v < 0 ? static_cast<T>(-v) : v; });
    });
  }
  autograd::SavedTensor saved_x(x);
  return autograd::record(y, "AbsBackward0", {x}, [saved_x](const Tensor& grad) {
    return std::vector<Tensor>{grad_times(grad, saved_x.get(), [](auto v) {
      using T = decltype(v);
      return static_cast<T>((v > 0) - (v < 0));
    })};
  });
}

// y = tanh x;  dy/dx = 1 - y^2.
Tensor tanh(const Tensor& x) {
  Tensor y = float_map(x, "tanh", [](auto v) { return std::tanh(v); });
  autograd::SavedTensor saved_y(y);
  return autograd::record(y, "TanhBackward0", {x}, [saved_y](const Tensor& grad) {
    return std::vector<Tensor>{grad_times(grad, saved_y.get(), [](auto s) { return 1 - s * s; })};
  });
}

// y = 1 / (1 + e^-x);  dy/dx = y (1 - y).
Tensor sigmoid(const Tensor& x) {
  Tensor y = float_map(x, "sigmoid", [](auto v) {
    using T = decltype(v);
    return static_cast<T>(1) / (static_cast<T>(1) + std::exp(-v));
  });
  autograd::SavedTensor saved_y(y);
  return autograd::record(y, "SigmoidBackward0", {x}, [saved_y](const Tensor& grad) {
    return std::vector<Tensor>{grad_times(grad, saved_y.get(), [](auto s) { return s * (1 - s); })};
  });
}

// y = max(x, 0);  dy/dx = 1 where y > 0, else 0. NaN passes through both ways, as in PyTorch:
// relu(NaN) = NaN, with gradient 1 (threshold_backward zeroes only where y <= 0).
Tensor relu(const Tensor& x) {
  Tensor y;
  {
    NoGradGuard no_grad;
    y = detail::dispatch_compute(x.dtype(), "relu", [&](auto zero) {
      using T = decltype(zero);
      // v < 0, not v <= 0: NaN and -0.0 pass through unchanged, as torch.relu's do.
      return detail::map_unary<T>(x, [](T v) { return v < 0 ? T(0) : v; });
    });
  }
  autograd::SavedTensor saved_y(y);
  return autograd::record(y, "ReluBackward0", {x}, [saved_y](const Tensor& grad) {
    return std::vector<Tensor>{detail::dispatch_floating(grad.dtype(), "relu", [&](auto zero) {
      using T = decltype(zero);
      return detail::map_binary_same<T>(grad, saved_y.get(),
                                        [](T dy, T s) { return s <= 0 ? T(0) : dy; });
    })};
  });
}

// y = min(max(x, lo), hi);  dy/dx = 1 where lo <= x <= hi, else 0 (PyTorch's convention).
Tensor clamp(const Tensor& x, double lo, double hi) {
  check(lo <= hi, "clamp: min (", lo, ") must not be greater than max (", hi, ")");
  Tensor y;
  {
    NoGradGuard no_grad;
    y = detail::dispatch_compute(x.dtype(), "clamp", [&](auto zero) {
      using T = decltype(zero);
      const T l = static_cast<T>(lo), h = static_cast<T>(hi);
      return detail::map_unary<T>(x, [l, h](T v) { return v < l ? l : (v > h ? h : v); });
    });
  }
  autograd::SavedTensor saved_x(x);
  return autograd::record(y, "ClampBackward1", {x}, [saved_x, lo, hi](const Tensor& grad) {
    return std::vector<Tensor>{grad_times(grad, saved_x.get(), [lo, hi](auto v) {
      using T = decltype(v);
      return static_cast<T>(v >= lo && v <= hi);
    })};
  });
}

Tensor Tensor::neg() const { return ember::neg(*this); }
Tensor Tensor::pow(double exponent) const { return ember::pow(*this, exponent); }
Tensor Tensor::exp() const { return ember::exp(*this); }
Tensor Tensor::log() const { return ember::log(*this); }
Tensor Tensor::sqrt() const { return ember::sqrt(*this); }
Tensor Tensor::abs() const { return ember::abs(*this); }
Tensor Tensor::tanh() const { return ember::tanh(*this); }
Tensor Tensor::sigmoid() const { return ember::sigmoid(*this); }
Tensor Tensor::relu() const { return ember::relu(*this); }
Tensor Tensor::clamp(double min, double max) const { return ember::clamp(*this, min, max); }

}  // namespace ember
