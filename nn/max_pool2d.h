// The MaxPool2d layer and its options (torch.nn.MaxPool2d); the pooling itself is
// functional::max_pool2d, declared in nn/functional.h.
#pragma once

#include <string>

#include "ember/core/arg.h"
#include "ember/nn/conv_utils.h"
#include "ember/nn/module.h"

namespace ember::nn {

// MaxPool2d's arguments, which are also functional::max_pool2d's (MaxPool2dFuncOptions):
// MaxPool2dOptions(3).stride(2).padding(1).dilation(1).ceil_mode(true). stride starts as
// kernel_size, as PyTorch's stride=None means.
// https://pytorch.org/cppdocs/api/structtorch_1_1nn_1_1_max_pool_options.html
struct MaxPool2dOptions {
  // Implicit, as PyTorch's, so that a kernel size alone converts.
  MaxPool2dOptions(Pair kernel_size)  // NOLINT
      : kernel_size_(kernel_size), stride_(kernel_size) {}

  EMBER_ARG(Pair, kernel_size);
  EMBER_ARG(Pair, stride);
  EMBER_ARG(Pair, padding) = 0;
  EMBER_ARG(Pair, dilation) = 1;
  EMBER_ARG(bool, ceil_mode) = false;
};

// forward is functional::max_pool2d(input, options). Prints its arguments as given, as
// PyTorch does: "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)".
class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(const MaxPool2dOptions& opts) : options(opts) {}
  // PyTorch's short form: MaxPool2d(2).
  explicit MaxPool2d(Pair kernel_size) : options(kernel_size) {}

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "MaxPool2d"; }
  std::string extra_repr() const override;

  MaxPool2dOptions options;
};

}  // namespace ember::nn
