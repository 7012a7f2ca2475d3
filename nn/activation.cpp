// Activation modules, and the functional activations that live nowhere else: F::relu,
// F::leaky_relu, F::gelu, F::silu. ReLU's, Tanh's and Sigmoid's math (and backward) is in
// tensor/unary.cpp, Softmax's in nn/softmax.cpp.
#include "ember/nn/activation.h"

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>
#include <algorithm>
#include <cmath>

#include "ember/nn/functional.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/elementwise.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"
#include "ember/tensor/python_repr.h"

namespace ember::nn {
namespace {

template <class T>
using Array = Eigen::Array<T, Eigen::Dynamic, 1>;
template <class T>
using ConstArrayMap = Eigen::Map<const Array<T>>;
template <class T>
using ArrayMap = Eigen::Map<Array<T>>;

// GELU and SiLU call exp, erf and tanh, which a compiler does not vectorise in a plain loop
// (libm's scalar calls). Eigen's array functions evaluate them a packet at a time, so these
// kernels are written on Eigen::Map arrays over chunks, and the chunks shared among threads.
constexpr std::int64_t kChunk = 4096;

// out = kernel(in) chunk by chunk; kernel(ConstArrayMap in, ArrayMap out).
template <class T, class Kernel>
Tensor map_chunks(const Tensor& x_in, Kernel kernel) {
  const Tensor x = x_in.contiguous();
  Tensor out = empty(x.shape(), x.dtype());
  const T* px = x.data_ptr<T>();
  T* po = out.data_ptr<T>();
  const std::int64_t n = x.numel(), chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for if (n > ember::detail::kParallelGrain)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t begin = c * kChunk, len = std::min(kChunk, n - begin);
    ArrayMap<T> o(po + begin, len);
    kernel(ConstArrayMap<T>(px + begin, len), o);
  }
  return out;
}

// out = kernel(grad, x) chunk by chunk, for the backward passes: grad and x of one shape.
template <class T, class Kernel>
Tensor map_chunks2(const Tensor& grad_in, const Tensor& x_in, Kernel kernel) {
  const Tensor g = grad_in.contiguous(), x = x_in.contiguous();
  Tensor out = empty(x.shape(), x.dtype());
  const T* pg = g.data_ptr<T>();
  const T* px = x.data_ptr<T>();
  T* po = out.data_ptr<T>();
  const std::int64_t n = x.numel(), chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for if (n > ember::detail::kParallelGrain)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t begin = c * kChunk, len = std::min(kChunk, n - begin);
    ArrayMap<T> o(po + begin, len);
    kernel(ConstArrayMap<T>(pg + begin, len), ConstArrayMap<T>(px + begin, len), o);
  }
  return out;
}

void check_approximate(const std::string& approximate) {
  check(approximate == "none" || approximate == "tanh",
        "approximate argument must be either none or tanh.");
}

// The tanh approximation's constants: sqrt(2 / pi) and the cubic term's coefficient.
constexpr double kBeta = 0.7978845608028654, kKappa = 0.044715;
constexpr double kInvSqrt2 = 0.7071067811865476, kInvSqrt2Pi = 0.3989422804014327;

}  // namespace

namespace functional {

Tensor relu(const Tensor& input) { return ember::relu(input); }

// y = x (x > 0), negative_slope x (x <= 0).
Tensor leaky_relu(const Tensor& input, const LeakyReLUFuncOptions& options) {
  const double slope = options.negative_slope();
  Tensor y;
  {
    NoGradGuard no_grad;
    y = ember::detail::dispatch_floating(input.dtype(), "leaky_relu", [&](auto zero) {
      using T = decltype(zero);
      const T a = static_cast<T>(slope);
      return ember::detail::map_unary<T>(input, [a](T v) { return v > 0 ? v : v * a; });
    });
  }
  // dy/dx = 1 where x > 0, negative_slope elsewhere (PyTorch's leaky_relu_backward).
  autograd::SavedTensor saved_x(input);
  return autograd::record(y, "LeakyReluBackward0", {input}, [saved_x, slope](const Tensor& grad) {
    return std::vector<Tensor>{
        ember::detail::dispatch_floating(grad.dtype(), "leaky_relu backward", [&](auto zero) {
          using T = decltype(zero);
          const T a = static_cast<T>(slope);
          return ember::detail::map_binary_same<T>(
              grad, saved_x.get(), [a](T dy, T x) { return x > 0 ? dy : dy * a; });
        })};
  });
}

// none: y = x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2.
// tanh: y = x (1 + t) / 2, t = tanh(u), u = sqrt(2 / pi) (x + 0.044715 x^3).
Tensor gelu(const Tensor& input, const GELUFuncOptions& options) {
  check_approximate(options.approximate());
  const bool use_tanh = options.approximate() == "tanh";
  Tensor y = ember::detail::dispatch_floating(input.dtype(), "gelu", [&](auto zero) {
    using T = decltype(zero);
    const T half(0.5), one(1), beta(kBeta), kappa(kKappa), inv_sqrt2(kInvSqrt2);
    if (use_tanh) {
      return map_chunks<T>(input, [=](const ConstArrayMap<T>& x, ArrayMap<T>& out) {
        out = half * x * (one + (beta * (x + kappa * x.cube())).tanh());
      });
    }
    return map_chunks<T>(input, [=](const ConstArrayMap<T>& x, ArrayMap<T>& out) {
      out = half * x * (one + (x * inv_sqrt2).erf());
    });
  });
  // none: dy/dx = Phi(x) + x phi(x), phi(x) = e^(-x^2 / 2) / sqrt(2 pi).
  // tanh: dy/dx = (1 + t) / 2 + x (1 - t^2) sqrt(2 / pi) (1 + 3 0.044715 x^2) / 2.
  autograd::SavedTensor saved_x(input);
  return autograd::record(y, "GeluBackward0", {input}, [saved_x, use_tanh](const Tensor& grad) {
    return std::vector<Tensor>{
        ember::detail::dispatch_floating(grad.dtype(), "gelu backward", [&](auto zero) {
          using T = decltype(zero);
          const T half(0.5), one(1), beta(kBeta), kappa(kKappa), inv_sqrt2(kInvSqrt2);
          const T inv_sqrt2pi(kInvSqrt2Pi);
          if (use_tanh) {
            return map_chunks2<T>(grad, saved_x.get(), [=](const ConstArrayMap<T>& g,
                                                           const ConstArrayMap<T>& x,
                                                           ArrayMap<T>& out) {
              const Array<T> t = (beta * (x + kappa * x.cube())).tanh();
              out = g * (half * (one + t) +
                         half * x * (one - t.square()) * beta * (one + T(3) * kappa * x.square()));
            });
          }
          return map_chunks2<T>(grad, saved_x.get(), [=](const ConstArrayMap<T>& g,
                                                         const ConstArrayMap<T>& x,
                                                         ArrayMap<T>& out) {
            out = g * (half * (one + (x * inv_sqrt2).erf()) +
                       x * (-half * x.square()).exp() * inv_sqrt2pi);
          });
        })};
  });
}

// y = x s, s = sigmoid(x) = 1 / (1 + e^-x).
Tensor silu(const Tensor& input) {
  Tensor y = ember::detail::dispatch_floating(input.dtype(), "silu", [&](auto zero) {
    using T = decltype(zero);
    return map_chunks<T>(input, [](const ConstArrayMap<T>& x, ArrayMap<T>& out) {
      out = x / (T(1) + (-x).exp());
    });
  });
  // dy/dx = s + x s (1 - s) = s (1 + x (1 - s)).
  autograd::SavedTensor saved_x(input);
  return autograd::record(y, "SiluBackward0", {input}, [saved_x](const Tensor& grad) {
    return std::vector<Tensor>{
        ember::detail::dispatch_floating(grad.dtype(), "silu backward", [&](auto zero) {
          using T = decltype(zero);
          return map_chunks2<T>(grad, saved_x.get(), [](const ConstArrayMap<T>& g,
                                                        const ConstArrayMap<T>& x,
                                                        ArrayMap<T>& out) {
            const Array<T> s = T(1) / (T(1) + (-x).exp());
            out = g * s * (T(1) + x * (T(1) - s));
          });
        })};
  });
}

}  // namespace functional

Tensor ReLU::forward(const Tensor& input) { return functional::relu(input); }

Tensor LeakyReLU::forward(const Tensor& input) { return functional::leaky_relu(input, options); }
std::string LeakyReLU::extra_repr() const {
  return "negative_slope=" + python_float_repr(options.negative_slope());
}

GELU::GELU(const GELUOptions& opts) : options(opts) { check_approximate(options.approximate()); }
Tensor GELU::forward(const Tensor& input) { return functional::gelu(input, options); }

Tensor SiLU::forward(const Tensor& input) { return functional::silu(input); }

Tensor Tanh::forward(const Tensor& input) { return ember::tanh(input); }
Tensor Sigmoid::forward(const Tensor& input) { return ember::sigmoid(input); }
Tensor Softmax::forward(const Tensor& input) { return functional::softmax(input, options.dim()); }
Tensor LogSoftmax::forward(const Tensor& input) {
  return functional::log_softmax(input, options.dim());
}

}  // namespace ember::nn
