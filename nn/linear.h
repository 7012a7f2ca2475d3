// Linear: the fully connected layer y = x W^T + b (torch.nn.Linear).
#pragma once

#include <cstdint>
#include <string>

#include "nn/module.h"

namespace ember::nn {

// Parameters weight (out_features, in_features) and, when bias is true, bias (out_features),
// registered in that order (state_dict keys "weight", "bias"). Both start as PyTorch's do:
// kaiming_uniform_(weight, a = sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)), and bias from the
// same range. Prints "Linear(in_features=400, out_features=120, bias=True)".
// https://pytorch.org/docs/stable/generated/torch.nn.Linear.html
class Linear : public Module {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, bool bias = true);

  // input (*, in_features) -> (*, out_features).
  Tensor forward(const Tensor& input) override;
  // PyTorch's reset_parameters(): draws the default initialisation again.
  void reset_parameters();

  std::string type_name() const override { return "Linear"; }
  std::string extra_repr() const override;

  std::int64_t in_features;
  std::int64_t out_features;
  Tensor weight;  // handles to the registered parameters
  Tensor bias;    // undefined when constructed with bias = false
};

}  // namespace ember::nn
