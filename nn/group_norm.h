// GroupNorm: normalisation over groups of channels of each sample (torch.nn.GroupNorm).
#pragma once

#include <cstdint>
#include <string>

#include "ember/core/arg.h"
#include "ember/nn/module.h"

namespace ember::nn {

// GroupNorm's arguments: GroupNorm(GroupNormOptions(2, 8).eps(1e-3).affine(false)).
// https://pytorch.org/cppdocs/api/structtorch_1_1nn_1_1_group_norm_options.html
struct GroupNormOptions {
  GroupNormOptions(std::int64_t num_groups, std::int64_t num_channels)
      : num_groups_(num_groups), num_channels_(num_channels) {}

  EMBER_ARG(std::int64_t, num_groups);
  EMBER_ARG(std::int64_t, num_channels);
  EMBER_ARG(double, eps) = 1e-5;
  EMBER_ARG(bool, affine) = true;
};

// Registers weight (ones) and bias (zeros) of (num_channels) when affine. forward: input
// (N, C, *) -> the same shape; the C channels form num_groups groups of consecutive channels,
// each normalised per sample by its mean and biased variance, then scaled and shifted per
// channel. num_channels not divisible by num_groups fails in the constructor.
// Prints "GroupNorm(2, 8, eps=1e-05, affine=True)".
// https://pytorch.org/docs/stable/generated/torch.nn.GroupNorm.html
class GroupNorm : public Module {
 public:
  explicit GroupNorm(const GroupNormOptions& options);

  Tensor forward(const Tensor& input) override;
  // weight back to ones, bias to zeros.
  void reset_parameters();

  std::string type_name() const override { return "GroupNorm"; }
  std::string extra_repr() const override;

  GroupNormOptions options;
  Tensor weight, bias;  // undefined without affine
};

}  // namespace ember::nn
