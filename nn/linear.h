// Linear: the fully connected layer y = x W^T + b (torch.nn.Linear).
#pragma once

#include <cstdint>
#include <string>

#include "ember/core/arg.h"
#include "ember/nn/module.h"

namespace ember::nn {

// Linear's arguments: Linear(LinearOptions(400, 120).bias(false)).
// https://pytorch.org/cppdocs/api/classtorch_1_1nn_1_1_linear_options.html
struct LinearOptions {
  LinearOptions(std::int64_t in_features, std::int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}

  EMBER_ARG(std::int64_t, in_features);
  EMBER_ARG(std::int64_t, out_features);
  EMBER_ARG(bool, bias) = true;
};

// Parameters weight (out_features, in_features) and, when options.bias(), bias (out_features),
// registered in that order (state_dict keys "weight", "bias"). Prints
// "Linear(in_features=400, out_features=120, bias=True)".
// https://pytorch.org/docs/stable/generated/torch.nn.Linear.html
class Linear : public Module {
 public:
  explicit Linear(const LinearOptions& options);
  // PyTorch's short form: Linear(400, 120).
  Linear(std::int64_t in_features, std::int64_t out_features)
      : Linear(LinearOptions(in_features, out_features)) {}

  // input (*, in_features) -> (*, out_features).
  Tensor forward(const Tensor& input) override;
  // PyTorch's reset_parameters(): kaiming_uniform_(weight, a = sqrt(5)), i.e.
  // U(-1/sqrt(in), 1/sqrt(in)), and bias from the same range.
  void reset_parameters();

  std::string type_name() const override { return "Linear"; }
  std::string extra_repr() const override;

  LinearOptions options;
  Tensor weight;  // handles to the registered parameters
  Tensor bias;    // undefined when options.bias() is false
};

}  // namespace ember::nn
