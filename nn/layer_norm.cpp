// Layer normalisation: F::layer_norm (its kernels are nn/norm_rows.cpp's) and LayerNorm.
#include "ember/nn/layer_norm.h"

#include <sstream>

#include "ember/nn/functional.h"
#include "ember/nn/init.h"
#include "ember/nn/norm_rows.h"
#include "ember/nn/size_list.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/python_repr.h"

namespace ember::nn {
namespace {

using detail::bracket_list;

// PyTorch's checks (aten/src/ATen/native/layer_norm.h), with its wording.
void check_layer_norm_args(const Tensor& input, const Shape& normalized_shape,
                           const Tensor& weight, const Tensor& bias) {
  check(!normalized_shape.empty(), "Expected normalized_shape to be at least 1-dimensional, i.e., "
        "containing at least one element, but got normalized_shape = ",
        bracket_list(normalized_shape));
  for (const char* name : {"weight", "bias"}) {
    const Tensor& t = name[0] == 'w' ? weight : bias;
    check(!t.defined() || t.shape() == normalized_shape, "Expected ", name,
          " to be of same shape as normalized_shape, but got ", name, " of shape ",
          t.defined() ? bracket_list(t.shape()) : "", " and normalized_shape = ",
          bracket_list(normalized_shape));
    check(!t.defined() || t.dtype() == input.dtype(), "layer_norm: expected ", name,
          " of dtype ", dtype_name(input.dtype()), " (the input's), found ",
          t.defined() ? dtype_name(t.dtype()) : "");
  }
  const std::int64_t k = static_cast<std::int64_t>(normalized_shape.size());
  bool matches = input.dim() >= k;
  for (std::int64_t i = 0; matches && i < k; ++i) {
    matches = input.size(input.dim() - k + i) == normalized_shape[static_cast<std::size_t>(i)];
  }
  if (!matches) {
    std::ostringstream expected;
    for (std::int64_t size : normalized_shape) expected << ", " << size;
    throw Error(str("Given normalized_shape=", bracket_list(normalized_shape),
                    ", expected input with shape [*", expected.str(),
                    "], but got input of size", bracket_list(input.shape())));
  }
}

}  // namespace

namespace functional {

// input (*, normalized_shape) seen as (R, L), L = numel(normalized_shape); each row normalised
// by its mean and biased variance: y = (x - mean) / sqrt(var + eps) w + b. The backward is
// row_norm_backward's (nn/norm_rows.cpp).
Tensor layer_norm(const Tensor& input, const LayerNormFuncOptions& options) {
  const Shape& normalized_shape = options.normalized_shape();
  const Tensor &weight = options.weight(), &bias = options.bias();
  check(input.defined(), "layer_norm: expected an input tensor, found an undefined one");
  check_layer_norm_args(input, normalized_shape, weight, bias);
  const std::int64_t len = numel_of(normalized_shape);
  const detail::RowNormShape s{len == 0 ? 0 : input.numel() / len, len, 1, 1, normalized_shape};
  const Tensor x = input.contiguous();
  auto stats = std::make_shared<detail::RowStats>();
  Tensor y = detail::row_norm_forward(x, weight, bias, s, options.eps(), *stats);

  const bool want_input = input.requires_grad();
  const bool want_weight = weight.defined() && weight.requires_grad();
  const bool want_bias = bias.defined() && bias.requires_grad();
  autograd::SavedTensor saved_x(x), saved_w(weight);
  return autograd::record(y, "NativeLayerNormBackward0", {input, weight, bias},
                          [=](const Tensor& grad) {
                            return detail::row_norm_backward(grad, saved_x.get(), saved_w.get(),
                                                             s, *stats, want_input, want_weight,
                                                             want_bias);
                          });
}

}  // namespace functional

LayerNorm::LayerNorm(const LayerNormOptions& opts) : options(opts) {
  if (options.elementwise_affine()) {
    weight = register_parameter("weight", empty(options.normalized_shape()));
    bias = register_parameter("bias", empty(options.normalized_shape()));
  }
  reset_parameters();
}

void LayerNorm::reset_parameters() {
  if (!options.elementwise_affine()) return;
  init::ones_(weight);
  init::zeros_(bias);
}

Tensor LayerNorm::forward(const Tensor& input) {
  return functional::layer_norm(input, functional::LayerNormFuncOptions(options.normalized_shape())
                                           .weight(weight)
                                           .bias(bias)
                                           .eps(options.eps()));
}

std::string LayerNorm::extra_repr() const {
  return str(options.normalized_shape(), ", eps=", python_float_repr(options.eps()),
             ", elementwise_affine=", options.elementwise_affine() ? "True" : "False");
}

}  // namespace ember::nn
