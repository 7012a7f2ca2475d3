// The MaxPool2d layer and its options (torch.nn.MaxPool2d); the pooling itself is
// functional::max_pool2d, declared in nn/functional.h.
#pragma once

#include <string>

#include "ember/nn/conv_utils.h"
#include "ember/nn/module.h"

namespace ember::nn {

// MaxPool2d's arguments, which are also functional::max_pool2d's (MaxPool2dFuncOptions):
// MaxPool2dOptions(3).stride(2).padding(1).dilation(1).ceil_mode(true). stride starts as
// kernel_size, as PyTorch's stride=None means.
// https://pytorch.org/cppdocs/api/structtorch_1_1nn_1_1_max_pool_options.html
class MaxPool2dOptions {
 public:
  // Implicit, as PyTorch's, so that a kernel size alone converts.
  MaxPool2dOptions(Pair kernel_size)  // NOLINT
      : kernel_size_(kernel_size), stride_(kernel_size) {}

  MaxPool2dOptions& kernel_size(Pair v) { kernel_size_ = v; return *this; }
  MaxPool2dOptions& stride(Pair v) { stride_ = v; return *this; }
  MaxPool2dOptions& padding(Pair v) { padding_ = v; return *this; }
  MaxPool2dOptions& dilation(Pair v) { dilation_ = v; return *this; }
  MaxPool2dOptions& ceil_mode(bool v) { ceil_mode_ = v; return *this; }

  Pair kernel_size() const { return kernel_size_; }
  Pair stride() const { return stride_; }
  Pair padding() const { return padding_; }
  Pair dilation() const { return dilation_; }
  bool ceil_mode() const { return ceil_mode_; }

 private:
  Pair kernel_size_;
  Pair stride_;
  Pair padding_ = 0;
  Pair dilation_ = 1;
  bool ceil_mode_ = false;
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
