// The AvgPool2d layer and its options (torch.nn.AvgPool2d); the pooling itself is
// functional::avg_pool2d, declared in nn/functional.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ember/core/arg.h"
#include "ember/nn/conv_utils.h"
#include "ember/nn/module.h"

namespace ember::nn {

// AvgPool2d's arguments, which are also functional::avg_pool2d's (AvgPool2dFuncOptions):
// AvgPool2dOptions(3).stride(2).padding(1).ceil_mode(false).count_include_pad(true)
// .divisor_override(4). stride starts as kernel_size; divisor_override std::nullopt is None.
// https://pytorch.org/cppdocs/api/structtorch_1_1nn_1_1_avg_pool_options.html
struct AvgPool2dOptions {
  // Implicit, as PyTorch's, so that a kernel size alone converts.
  AvgPool2dOptions(Pair kernel_size)  // NOLINT
      : kernel_size_(kernel_size), stride_(kernel_size) {}

  EMBER_ARG(Pair, kernel_size);
  EMBER_ARG(Pair, stride);
  EMBER_ARG(Pair, padding) = 0;
  EMBER_ARG(bool, ceil_mode) = false;
  EMBER_ARG(bool, count_include_pad) = true;
  EMBER_ARG(std::optional<std::int64_t>, divisor_override);
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
