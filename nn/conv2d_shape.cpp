// conv2d's argument checks, with PyTorch's wording where it has one (see conv2d_shape.h).
#include "ember/nn/conv2d_shape.h"

#include <string>

namespace ember::nn::detail {

ConvShape check_conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                       Pair stride, Pair padding, Pair dilation, std::int64_t groups) {
  check(input.dim() == 4, "conv2d: expected input with 4 dimensions (N, C, H, W), found ",
        input.shape());
  check(weight.dim() == 4, "conv2d: expected weight with 4 dimensions (O, C/groups, kH, kW), found ",
        weight.shape());
  check(input.dtype() == kFloat32 || input.dtype() == kFloat64,
        "conv2d: expected a float32 or float64 input, found ", dtype_name(input.dtype()));
  check(weight.dtype() == input.dtype(), "conv2d: expected weight of dtype ",
        dtype_name(input.dtype()), " (the input's), found ", dtype_name(weight.dtype()));
  check(groups > 0, "conv2d: expected groups > 0, found ", groups);
  check(stride.h > 0 && stride.w > 0, "conv2d: expected stride > 0, found ", stride);
  check(padding.h >= 0 && padding.w >= 0, "conv2d: expected padding >= 0, found ",
        padding);
  check(dilation.h > 0 && dilation.w > 0, "conv2d: expected dilation > 0, found ",
        dilation);
  const std::int64_t out_channels = weight.size(0);
  check(out_channels % groups == 0, "conv2d: expected weight ", weight.shape(),
        " with out_channels divisible by groups=", groups);
  const std::int64_t expected_channels = weight.size(1) * groups;
  check(input.size(1) == expected_channels, "conv2d: expected input with ", expected_channels,
        " channels (weight ", weight.shape(),
        groups == 1 ? std::string() : str(", groups=", groups), "), found ", input.size(1));
  if (bias.defined()) {
    check(bias.dtype() == input.dtype(), "conv2d: expected bias of dtype ",
          dtype_name(input.dtype()), " (the input's), found ", dtype_name(bias.dtype()));
    check(bias.dim() == 1 && bias.size(0) == out_channels, "conv2d: expected bias of shape ",
          Shape{out_channels}, ", found ", bias.shape());
  }
  const std::int64_t kh = weight.size(2), kw = weight.size(3);
  const std::int64_t padded_h = input.size(2) + 2 * padding.h;
  const std::int64_t padded_w = input.size(3) + 2 * padding.w;
  const std::int64_t span_h = dilation.h * (kh - 1) + 1, span_w = dilation.w * (kw - 1) + 1;
  check(padded_h >= span_h && padded_w >= span_w, "conv2d: padded input size per channel (",
        padded_h, " x ", padded_w, ") is smaller than the dilated kernel (", span_h, " x ", span_w,
        "); the kernel can't be greater than the input");

  ConvShape s{input.size(0), input.size(1), out_channels, groups, {}};
  s.image = {weight.size(1), input.size(2), input.size(3), kh, kw, stride.h, stride.w,
             padding.h, padding.w, dilation.h, dilation.w,
             conv_output_size(input.size(2), kh, stride.h, padding.h, dilation.h),
             conv_output_size(input.size(3), kw, stride.w, padding.w, dilation.w)};
  return s;
}

}  // namespace ember::nn::detail
