// LayerNorm: normalisation over the trailing dims of each sample (torch.nn.LayerNorm).
#pragma once

#include <string>

#include "ember/core/arg.h"
#include "ember/nn/module.h"

namespace ember::nn {

// LayerNorm's arguments: LayerNorm(LayerNormOptions({10}).eps(1e-6)); normalized_shape is the
// shape of the trailing dims normalised together.
// https://pytorch.org/cppdocs/api/structtorch_1_1nn_1_1_layer_norm_options.html
struct LayerNormOptions {
  LayerNormOptions(Shape normalized_shape)  // NOLINT: implicit, as PyTorch's
      : normalized_shape_(std::move(normalized_shape)) {}

  EMBER_ARG(Shape, normalized_shape);
  EMBER_ARG(double, eps) = 1e-5;
  EMBER_ARG(bool, elementwise_affine) = true;
};

// Registers weight (ones) and bias (zeros) of normalized_shape when elementwise_affine.
// forward: input (*, normalized_shape) -> the same shape, each sample normalised by its own
// mean and biased variance over the normalized_shape dims (in training and eval alike).
// Prints "LayerNorm((10,), eps=1e-05, elementwise_affine=True)".
// https://pytorch.org/docs/stable/generated/torch.nn.LayerNorm.html
class LayerNorm : public Module {
 public:
  explicit LayerNorm(const LayerNormOptions& options);

  Tensor forward(const Tensor& input) override;
  // weight back to ones, bias to zeros.
  void reset_parameters();

  std::string type_name() const override { return "LayerNorm"; }
  std::string extra_repr() const override;

  LayerNormOptions options;
  Tensor weight, bias;  // undefined without elementwise_affine
};

}  // namespace ember::nn
