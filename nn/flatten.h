// Flatten: merges a range of dims into one (torch.nn.Flatten).
#pragma once

#include <cstdint>
#include <string>

#include "nn/module.h"

namespace ember::nn {

// input.flatten(start_dim, end_dim): by default (N, C, H, W) -> (N, C*H*W), keeping the batch
// dim. A view when the input's strides allow it. Prints "Flatten(start_dim=1, end_dim=-1)".
// https://pytorch.org/docs/stable/generated/torch.nn.Flatten.html
class Flatten : public Module {
 public:
  explicit Flatten(std::int64_t start = 1, std::int64_t end = -1) : start_dim(start), end_dim(end) {}

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Flatten"; }
  std::string extra_repr() const override;

  std::int64_t start_dim;
  std::int64_t end_dim;
};

}  // namespace ember::nn
