// 2-D average pooling: functional::avg_pool2d and the AvgPool2d layer (torch.nn.AvgPool2d).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nn/conv_utils.h"
#include "nn/module.h"
#include "tensor/tensor.h"

namespace ember::nn {

namespace functional {

// out[n, c, y, x] = (sum of input over the window rows y sH - pH .. + kH, columns
// x sW - pW .. + kW that lie inside the input) / divisor, where the divisor is
// divisor_override if given, else the window's size clipped to the padded input when
// count_include_pad, else the number of input pixels in the window. input (N, C, H, W) ->
// (N, C, Ho, Wo), sizes as max_pool2d's with dilation 1. stride defaults to kernel_size.
// grad_fn AvgPool2DBackward0. https://pytorch.org/docs/stable/generated/torch.nn.AvgPool2d.html
Tensor avg_pool2d(const Tensor& input, Pair kernel_size, std::optional<Pair> stride = std::nullopt,
                  Pair padding = 0, bool ceil_mode = false, bool count_include_pad = true,
                  std::optional<std::int64_t> divisor_override = std::nullopt);

}  // namespace functional

// AvgPool2d(kernel_size, stride = kernel_size, padding = 0, ceil_mode = false,
// count_include_pad = true, divisor_override = none). Prints as PyTorch does, only the first
// three arguments, as given: "AvgPool2d(kernel_size=2, stride=2, padding=0)".
class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(Pair kernel_size, std::optional<Pair> stride = std::nullopt,
                     Pair padding = 0, bool ceil_mode = false, bool count_include_pad = true,
                     std::optional<std::int64_t> divisor_override = std::nullopt);

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "AvgPool2d"; }
  std::string extra_repr() const override;

 private:
  Pair kernel_size_;
  Pair stride_;
  Pair padding_;
  bool ceil_mode_;
  bool count_include_pad_;
  std::optional<std::int64_t> divisor_override_;
};

}  // namespace ember::nn
