// Flatten: merges a range of dims into one (torch.nn.Flatten).
#pragma once

#include <cstdint>
#include <string>

#include "ember/core/arg.h"
#include "ember/nn/module.h"

namespace ember::nn {

// Flatten's arguments: Flatten(FlattenOptions().start_dim(0).end_dim(1)).
struct FlattenOptions {
  EMBER_ARG(std::int64_t, start_dim) = 1;
  EMBER_ARG(std::int64_t, end_dim) = -1;
};

// input.flatten(start_dim, end_dim): by default (N, C, H, W) -> (N, C*H*W), keeping the batch
// dim. A view when the input's strides allow it. Prints "Flatten(start_dim=1, end_dim=-1)".
// https://pytorch.org/docs/stable/generated/torch.nn.Flatten.html
class Flatten : public Module {
 public:
  explicit Flatten(const FlattenOptions& opts = {}) : options(opts) {}

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Flatten"; }
  std::string extra_repr() const override;

  FlattenOptions options;
};

}  // namespace ember::nn
