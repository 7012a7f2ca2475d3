// The AdaptiveAvgPool2d layer (torch.nn.AdaptiveAvgPool2d), which pools any input size down to
// a fixed output size; the pooling itself is functional::adaptive_avg_pool2d (nn/functional.h).
#pragma once

#include <string>

#include "ember/core/arg.h"
#include "ember/nn/conv_utils.h"
#include "ember/nn/module.h"

namespace ember::nn {

// AdaptiveAvgPool2d's one argument: AdaptiveAvgPool2dOptions({5, 7}).
struct AdaptiveAvgPool2dOptions {
  AdaptiveAvgPool2dOptions(Pair output_size) : output_size_(output_size) {}  // NOLINT: implicit

  EMBER_ARG(Pair, output_size);
};

// Printed as given: "AdaptiveAvgPool2d(output_size=(5, 7))" or "AdaptiveAvgPool2d(output_size=1)".
class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(const AdaptiveAvgPool2dOptions& opts) : options(opts) {}
  // PyTorch's short form: AdaptiveAvgPool2d(1).
  explicit AdaptiveAvgPool2d(Pair output_size) : options(output_size) {}

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "AdaptiveAvgPool2d"; }
  std::string extra_repr() const override { return "output_size=" + options.output_size().str(); }

  AdaptiveAvgPool2dOptions options;
};

}  // namespace ember::nn
