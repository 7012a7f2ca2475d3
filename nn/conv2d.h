// 2-D convolution: functional::conv2d and the Conv2d layer (torch.nn.Conv2d).
#pragma once

#include <cstdint>
#include <string>

#include "nn/conv_utils.h"
#include "nn/module.h"
#include "tensor/tensor.h"

namespace ember::nn {

namespace functional {

// Cross-correlation of input with weight, as torch.nn.functional.conv2d:
//   out[n, o, y, x] = bias[o] + sum over c in o's group, i < kH, j < kW of
//                     weight[o, c, i, j] * input[n, g C/groups + c, y sH - pH + i dH, x sW - pW + j dW]
// with zeros outside the input. input (N, C, H, W), weight (O, C/groups, kH, kW), bias (O) or
// undefined; returns (N, O, Ho, Wo) with Ho = floor((H + 2 pH - dH (kH - 1) - 1) / sH) + 1.
// Differentiable in input, weight and bias (grad_fn ConvolutionBackward0). float32 or float64.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.conv2d.html
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
              Pair stride = 1, Pair padding = 0, Pair dilation = 1, std::int64_t groups = 1);

}  // namespace functional

// Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias): holds
// weight (out_channels, in_channels / groups, kH, kW) and, when bias is true, bias
// (out_channels), registered in that order, both initialised as PyTorch does:
// kaiming_uniform_(weight, a = sqrt(5)), which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias
// from the same range, fan_in = in_channels / groups * kH * kW. Draws from default_generator().
// https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html
class Conv2d : public Module {
 public:
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, Pair kernel_size, Pair stride = 1,
         Pair padding = 0, Pair dilation = 1, std::int64_t groups = 1, bool bias = true);

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Conv2d"; }
  // "3, 6, kernel_size=(5, 5), stride=(1, 1)", then padding, dilation, groups and bias=False
  // only where they differ from the defaults, as PyTorch prints it.
  std::string extra_repr() const override;

  std::int64_t in_channels() const { return in_channels_; }
  std::int64_t out_channels() const { return out_channels_; }
  Pair kernel_size() const { return kernel_size_; }
  Pair stride() const { return stride_; }
  Pair padding() const { return padding_; }
  Pair dilation() const { return dilation_; }
  std::int64_t groups() const { return groups_; }

  Tensor weight;  // handles to the registered parameters, as in Linear and BatchNorm2d
  Tensor bias;    // undefined when constructed with bias = false

 private:
  std::int64_t in_channels_;
  std::int64_t out_channels_;
  Pair kernel_size_;
  Pair stride_;
  Pair padding_;
  Pair dilation_;
  std::int64_t groups_;
};

}  // namespace ember::nn
