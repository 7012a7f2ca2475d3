// The sizes of one conv2d call, and the checks that derive them from its arguments.
#pragma once

#include <cstdint>

#include "ember/nn/conv_utils.h"
#include "ember/nn/conv_im2col.h"
#include "ember/tensor/tensor.h"

namespace ember::nn::detail {

// The sizes of one conv2d call: batch, channels and groups around one image's geometry.
struct ConvShape {
  std::int64_t batch, in_channels, out_channels, groups;
  detail::ConvGeometry image;  // one group of one sample: channels = in_channels / groups

  std::int64_t out_per_group() const { return out_channels / groups; }
  std::int64_t input_numel() const { return in_channels * image.height * image.width; }
  std::int64_t output_numel() const { return out_channels * image.col_cols(); }
  // Multiply-adds of one pass (forward, or one of the two backward products).
  double macs() const {
    return static_cast<double>(batch) * out_channels * image.col_rows() * image.col_cols();
  }
};

// Checks everything a user can get wrong, with PyTorch's wording where it has one.
ConvShape check_conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                       Pair stride, Pair padding, Pair dilation, std::int64_t groups);

}  // namespace ember::nn::detail
