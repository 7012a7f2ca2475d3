// The AvgPool2d layer and its options (torch.nn.AvgPool2d); the pooling itself is
// functional::avg_pool2d, declared in nn/functional.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ember/nn/conv_utils.h"
#include "ember/nn/module.h"

namespace ember::nn {

// AvgPool2d's arguments, which are also functional::avg_pool2d's (AvgPool2dFuncOptions):
// AvgPool2dOptions(3).stride(2).padding(1).ceil_mode(false).count_include_pad(true)
// .divisor_override(4). stride starts as kernel_size; divisor_override std::nullopt is None.
// https://pytorch.org/cppdocs/api/structtorch_1_1nn_1_1_avg_pool_options.html
class AvgPool2dOptions {
 public:
  // Implicit, as PyTorch's, so that a kernel size alone converts.
  AvgPool2dOptions(Pair kernel_size)  // NOLINT
      : kernel_size_(kernel_size), stride_(kernel_size) {}

  AvgPool2dOptions& kernel_size(Pair v) { kernel_size_ = v; return *this; }
  AvgPool2dOptions& stride(Pair v) { stride_ = v; return *this; }
  AvgPool2dOptions& padding(Pair v) { padding_ = v; return *this; }
  AvgPool2dOptions& ceil_mode(bool v) { ceil_mode_ = v; return *this; }
  AvgPool2dOptions& count_include_pad(bool v) { count_include_pad_ = v; return *this; }
  AvgPool2dOptions& divisor_override(std::optional<std::int64_t> v) {
    divisor_override_ = v;
    return *this;
  }

  Pair kernel_size() const { return kernel_size_; }
  Pair stride() const { return stride_; }
  Pair padding() const { return padding_; }
  bool ceil_mode() const { return ceil_mode_; }
  bool count_include_pad() const { return count_include_pad_; }
  std::optional<std::int64_t> divisor_override() const { return divisor_override_; }

 private:
  Pair kernel_size_;
  Pair stride_;
  Pair padding_ = 0;
  bool ceil_mode_ = false;
  bool count_include_pad_ = true;
  std::optional<std::int64_t> divisor_override_;
};

// forward is functional::avg_pool2d(input, options). Prints as PyTorch does, only the first
// three arguments, as given: "AvgPool2d(kernel_size=2, stride=2, padding=0)".
class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(const AvgPool2dOptions& opts) : options(opts) {}
  // PyTorch's short form: AvgPool2d(2).
  explicit AvgPool2d(Pair kernel_size) : options(kernel_size) {}

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "AvgPool2d"; }
  std::string extra_repr() const override;

  AvgPool2dOptions options;
};

}  // namespace ember::nn
