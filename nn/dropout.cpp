// Dropout: F::dropout and F::dropout2d (Bernoulli masks, forward and backward), and the Dropout
// and Dropout2d modules.
#include "ember/nn/dropout.h"

#include <type_traits>

#include "ember/nn/functional.h"
#include "ember/tensor/python_repr.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"

namespace ember::nn {
namespace {

void check_probability(double p) {
  check(p >= 0.0 && p <= 1.0, "dropout probability has to be between 0 and 1, but got ",
        python_float_repr(p));
}

}  // namespace

namespace functional {

// keep_i ~ Bernoulli(1 - p);  y_i = x_i keep_i / (1 - p)  (all zeros when p == 1).
Tensor dropout(const Tensor& input, const DropoutFuncOptions& options) {
  const double p = options.p();
  const bool training = options.training();
  Generator* generator = options.generator();
  check_probability(p);
  if (!training || p == 0.0 || input.numel() == 0) return input;
  Generator& gen = generator ? *generator : default_generator();
  const Tensor x = input.contiguous();
  // The mask already holds the scale: 0 or 1 / (1 - p).
  Tensor mask = empty(x.shape(), x.dtype());
  Tensor y = empty(x.shape(), x.dtype());
  detail::dispatch_floating(x.dtype(), "dropout", [&](auto zero) {
    using T = decltype(zero);
    const T scale = p == 1.0 ? T(0) : static_cast<T>(1.0 / (1.0 - p));
    const T keep_below = static_cast<T>(1.0 - p);
    T* pm = mask.data_ptr<T>();
    T* py = y.data_ptr<T>();
    const T* px = x.data_ptr<T>();
    for (std::int64_t i = 0; i < x.numel(); ++i) {
      const T u = std::is_same_v<T, float> ? static_cast<T>(gen.uniform_float())
                                           : static_cast<T>(gen.uniform_double());
      pm[i] = u < keep_below ? scale : T(0);
      py[i] = px[i] * pm[i];
    }
  });

  // dL/dx = dL/dy * keep / (1 - p), the same mask.
  autograd::SavedTensor saved_mask(mask);
  return autograd::record(y, "NativeDropoutBackward0", {input}, [saved_mask](const Tensor& grad) {
    return std::vector<Tensor>{grad * saved_mask.get()};
  });
}

// keep_nc ~ Bernoulli(1 - p) per (n, c);  y[n, c, ...] = x[n, c, ...] keep_nc / (1 - p).
// input (N, C, *) seen as (N C, S).
Tensor dropout2d(const Tensor& input, const Dropout2dFuncOptions& options) {
  const double p = options.p();
  check_probability(p);
  check(input.defined() && input.dim() >= 2,
        "Feature dropout requires at least 2 dimensions in the input");
  if (!options.training() || p == 0.0 || input.numel() == 0) return input;
  Generator& gen = options.generator() ? *options.generator() : default_generator();
  const Tensor x = input.contiguous();
  const std::int64_t planes = x.size(0) * x.size(1), span = x.numel() / planes;
  Tensor mask = empty({x.size(0), x.size(1)}, x.dtype());
  Tensor y = empty(x.shape(), x.dtype());
  detail::dispatch_floating(x.dtype(), "dropout2d", [&](auto zero) {
    using T = decltype(zero);
    const T scale = p == 1.0 ? T(0) : static_cast<T>(1.0 / (1.0 - p));
    const T keep_below = static_cast<T>(1.0 - p);
    T* pm = mask.data_ptr<T>();
    T* py = y.data_ptr<T>();
    const T* px = x.data_ptr<T>();
    for (std::int64_t i = 0; i < planes; ++i) {
      const T u = std::is_same_v<T, float> ? static_cast<T>(gen.uniform_float())
                                           : static_cast<T>(gen.uniform_double());
      pm[i] = u < keep_below ? scale : T(0);
      for (std::int64_t s = 0; s < span; ++s) py[i * span + s] = px[i * span + s] * pm[i];
    }
  });

  // dL/dx[n, c, ...] = dL/dy[n, c, ...] keep_nc / (1 - p), the same mask.
  Shape mask_shape(static_cast<std::size_t>(x.dim()), 1);
  mask_shape[0] = x.size(0);
  mask_shape[1] = x.size(1);
  autograd::SavedTensor saved_mask(mask.view(mask_shape));
  return autograd::record(y, "MulBackward0", {input}, [saved_mask](const Tensor& grad) {
    return std::vector<Tensor>{grad * saved_mask.get()};
  });
}

}  // namespace functional

Dropout::Dropout(const DropoutOptions& opts, Generator* gen)
    : options(opts), generator(gen) {
  check_probability(options.p());
}

Tensor Dropout::forward(const Tensor& input) {
  return functional::dropout(
      input,
      functional::DropoutFuncOptions().p(options.p()).training(is_training()).generator(generator));
}

std::string Dropout::extra_repr() const {
  return str("p=", python_float_repr(options.p()), ", inplace=False");
}

Dropout2d::Dropout2d(const Dropout2dOptions& opts, Generator* gen)
    : options(opts), generator(gen) {
  check_probability(options.p());
}

Tensor Dropout2d::forward(const Tensor& input) {
  return functional::dropout2d(
      input,
      functional::Dropout2dFuncOptions().p(options.p()).training(is_training()).generator(generator));
}

std::string Dropout2d::extra_repr() const {
  return str("p=", python_float_repr(options.p()), ", inplace=False");
}

}  // namespace ember::nn
