// Adaptive 2-D average pooling: functional::adaptive_avg_pool2d and the AdaptiveAvgPool2d layer
// (torch.nn.AdaptiveAvgPool2d), which pool any input size down to a fixed output size.
#pragma once

#include <string>

#include "nn/conv_utils.h"
#include "nn/module.h"
#include "tensor/tensor.h"

namespace ember::nn {

namespace functional {

// out[n, c, y, x] = mean of input[n, c, h0 .. h1, w0 .. w1) with h0 = floor(y H / Ho) and
// h1 = ceil((y + 1) H / Ho) (likewise for w): windows that cover the input and may overlap by
// one pixel. input (N, C, H, W) -> (N, C, Ho, Wo). grad_fn AdaptiveAvgPool2DBackward0.
// https://pytorch.org/docs/stable/generated/torch.nn.AdaptiveAvgPool2d.html
Tensor adaptive_avg_pool2d(const Tensor& input, Pair output_size);

}  // namespace functional

// AdaptiveAvgPool2d(output_size), printed as given: "AdaptiveAvgPool2d(output_size=(5, 7))" or
// "AdaptiveAvgPool2d(output_size=1)".
class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Pair output_size) : output_size_(output_size) {}

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "AdaptiveAvgPool2d"; }
  std::string extra_repr() const override { return "output_size=" + output_size_.str(); }

 private:
  Pair output_size_;
};

}  // namespace ember::nn
