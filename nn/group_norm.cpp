// Group normalisation: F::group_norm (its kernels are nn/norm_rows.cpp's) and GroupNorm.
#include "ember/nn/group_norm.h"

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

// PyTorch's checks (torch.nn.functional.group_norm, aten/src/ATen/native/group_norm.cpp).
void check_group_norm_args(const Tensor& input, std::int64_t groups, const Tensor& weight,
                           const Tensor& bias) {
  check(input.defined(), "group_norm: expected an input tensor, found an undefined one");
  check(input.dim() >= 2, "Expected at least 2 dimensions for input tensor but received ",
        input.dim());
  const std::int64_t channels = input.size(1);
  check(groups > 0 && channels % groups == 0,
        "Expected number of channels in input to be divisible by num_groups, but got input of "
        "shape ", bracket_list(input.shape()), " and num_groups=", groups);
  for (const char* name : {"weight", "bias"}) {
    const Tensor& t = name[0] == 'w' ? weight : bias;
    if (!t.defined()) continue;
    check(t.dim() == 1 && t.numel() == channels, "Expected ", name,
          " to be a vector of size equal to the number of channels in input, but got ", name,
          " of shape ", bracket_list(t.shape()), " and input of shape ",
          bracket_list(input.shape()));
    check(t.dtype() == input.dtype(), "group_norm: expected ", name, " of dtype ",
          dtype_name(input.dtype()), " (the input's), found ", dtype_name(t.dtype()));
  }
}

}  // namespace

namespace functional {

// input (N, C, *) seen as (N G, C/G S), S the product of the trailing dims: each row, one
// group of one sample, normalised by its mean and biased variance, then y = xhat w_c + b_c for
// the row element's channel c. The backward is row_norm_backward's (nn/norm_rows.cpp).
Tensor group_norm(const Tensor& input, const GroupNormFuncOptions& options) {
  const std::int64_t groups = options.num_groups();
  const Tensor &weight = options.weight(), &bias = options.bias();
  check_group_norm_args(input, groups, weight, bias);
  const std::int64_t n = input.size(0), c = input.size(1);
  const std::int64_t span = n * c == 0 ? 1 : input.numel() / (n * c);
  const detail::RowNormShape s{n * groups, c / groups * span, groups, span, {c}};
  const Tensor x = input.contiguous();
  auto stats = std::make_shared<detail::RowStats>();
  Tensor y = detail::row_norm_forward(x, weight, bias, s, options.eps(), *stats);

  const bool want_input = input.requires_grad();
  const bool want_weight = weight.defined() && weight.requires_grad();
  const bool want_bias = bias.defined() && bias.requires_grad();
  autograd::SavedTensor saved_x(x), saved_w(weight);
  return autograd::record(y, "NativeGroupNormBackward0", {input, weight, bias},
                          [=](const Tensor& grad) {
                            return detail::row_norm_backward(grad, saved_x.get(), saved_w.get(),
                                                             s, *stats, want_input, want_weight,
                                                             want_bias);
                          });
}

}  // namespace functional

GroupNorm::GroupNorm(const GroupNormOptions& opts) : options(opts) {
  const std::int64_t groups = options.num_groups(), channels = options.num_channels();
  check(groups > 0 && channels % groups == 0, "num_channels must be divisible by num_groups");
  if (options.affine()) {
    weight = register_parameter("weight", empty({channels}));
    bias = register_parameter("bias", empty({channels}));
  }
  reset_parameters();
}

void GroupNorm::reset_parameters() {
  if (!options.affine()) return;
  init::ones_(weight);
  init::zeros_(bias);
}

Tensor GroupNorm::forward(const Tensor& input) {
  return functional::group_norm(input, functional::GroupNormFuncOptions(options.num_groups())
                                           .weight(weight)
                                           .bias(bias)
                                           .eps(options.eps()));
}

std::string GroupNorm::extra_repr() const {
  return str(options.num_groups(), ", ", options.num_channels(),
             ", eps=", python_float_repr(options.eps()),
             ", affine=", options.affine() ? "True" : "False");
}

}  // namespace ember::nn
