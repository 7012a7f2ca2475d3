// The Conv2d layer and its options (torch.nn.Conv2d); the convolution itself is
// functional::conv2d, declared in nn/functional.h.
#pragma once

#include <cstdint>
#include <string>

#include "ember/core/arg.h"
#include "ember/nn/conv_utils.h"
#include "ember/nn/module.h"

namespace ember::nn {

// Conv2d's arguments, with PyTorch's names and defaults:
//   Conv2d(Conv2dOptions(3, 6, 5).stride(1).padding(2).dilation(1).groups(1).bias(false))
// Each setter returns the options, and the getter of the same name reads the value back.
// https://pytorch.org/cppdocs/api/structtorch_1_1nn_1_1_conv_options.html
struct Conv2dOptions {
  Conv2dOptions(std::int64_t in_channels, std::int64_t out_channels, Pair kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}

  EMBER_ARG(std::int64_t, in_channels);
  EMBER_ARG(std::int64_t, out_channels);
  EMBER_ARG(Pair, kernel_size);
  EMBER_ARG(Pair, stride) = 1;
  EMBER_ARG(Pair, padding) = 0;
  EMBER_ARG(Pair, dilation) = 1;
  EMBER_ARG(std::int64_t, groups) = 1;
  EMBER_ARG(bool, bias) = true;
  // PyTorch's "zeros", "reflect", "replicate" or "circular"; ember pads with zeros only, and
  // the constructor says so for the other three.
  EMBER_ARG(std::string, padding_mode) = "zeros";
};

// Holds weight (out_channels, in_channels / groups, kH, kW) and, when options.bias(), bias
// (out_channels), registered in that order; forward is functional::conv2d (nn/functional.h).
// Invalid options fail in the constructor with PyTorch's messages ("in_channels must be
// divisible by groups").
// https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html
class Conv2d : public Module {
 public:
  explicit Conv2d(const Conv2dOptions& options);
  // PyTorch's short form: Conv2d(3, 6, 5) for in_channels, out_channels, kernel_size.
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, Pair kernel_size)
      : Conv2d(Conv2dOptions(in_channels, out_channels, kernel_size)) {}

  Tensor forward(const Tensor& input) override;
  // PyTorch's reset_parameters(): kaiming_uniform_(weight, a = sqrt(5)), which is
  // U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias from the same range, fan_in =
  // in_channels / groups * kH * kW. Draws from default_generator().
  void reset_parameters();

  std::string type_name() const override { return "Conv2d"; }
  // "3, 6, kernel_size=(5, 5), stride=(1, 1)", then padding, dilation, groups and bias=False
  // only where they differ from the defaults, as PyTorch prints it.
  std::string extra_repr() const override;

  Conv2dOptions options;
  Tensor weight;  // handles to the registered parameters
  Tensor bias;    // undefined when options.bias() is false
};

}  // namespace ember::nn
