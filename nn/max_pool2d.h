// 2-D max pooling: functional::max_pool2d and the MaxPool2d layer (torch.nn.MaxPool2d).
#pragma once

#include <optional>
#include <string>

#include "nn/conv_utils.h"
#include "nn/module.h"
#include "tensor/tensor.h"

namespace ember::nn {

namespace functional {

// out[n, c, y, x] = max over i < kH, j < kW of input[n, c, y sH - pH + i dH, x sW - pW + j dW],
// positions in the padding taking no part (PyTorch pads with -inf). A NaN in a window wins;
// among equal maxima the first in row-major order gets the gradient. input (N, C, H, W) ->
// (N, C, Ho, Wo), Ho = floor or, with ceil_mode, ceil((H + 2 pH - dH (kH - 1) - 1) / sH) + 1,
// where with ceil_mode a last window that would start in the right padding is dropped. stride
// defaults to kernel_size; padding must be at most half the kernel. grad_fn
// MaxPool2DWithIndicesBackward0. https://pytorch.org/docs/stable/generated/torch.nn.MaxPool2d.html
Tensor max_pool2d(const Tensor& input, Pair kernel_size, std::optional<Pair> stride = std::nullopt,
                  Pair padding = 0, Pair dilation = 1, bool ceil_mode = false);

}  // namespace functional

// MaxPool2d(kernel_size, stride = kernel_size, padding = 0, dilation = 1, ceil_mode = false).
// Prints its arguments as given, as PyTorch does: "MaxPool2d(kernel_size=2, stride=2,
// padding=0, dilation=1, ceil_mode=False)".
class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(Pair kernel_size, std::optional<Pair> stride = std::nullopt,
                     Pair padding = 0, Pair dilation = 1, bool ceil_mode = false);

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "MaxPool2d"; }
  std::string extra_repr() const override;

 private:
  Pair kernel_size_;
  Pair stride_;
  Pair padding_;
  Pair dilation_;
  bool ceil_mode_;
};

}  // namespace ember::nn
