// The ConvTranspose2d layer and its options (torch.nn.ConvTranspose2d); the op itself is
// functional::conv_transpose2d, declared in nn/functional.h.
#pragma once

#include <cstdint>
#include <string>

#include "ember/core/arg.h"
#include "ember/nn/conv_utils.h"
#include "ember/nn/module.h"

namespace ember::nn {

// ConvTranspose2d's arguments, with PyTorch's names and defaults:
//   ConvTranspose2d(ConvTranspose2dOptions(16, 8, 3).stride(2).padding(1).output_padding(1))
// https://pytorch.org/cppdocs/api/structtorch_1_1nn_1_1_conv_transpose_options.html
struct ConvTranspose2dOptions {
  ConvTranspose2dOptions(std::int64_t in_channels, std::int64_t out_channels, Pair kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}

  EMBER_ARG(std::int64_t, in_channels);
  EMBER_ARG(std::int64_t, out_channels);
  EMBER_ARG(Pair, kernel_size);
  EMBER_ARG(Pair, stride) = 1;
  EMBER_ARG(Pair, padding) = 0;
  EMBER_ARG(Pair, output_padding) = 0;
  EMBER_ARG(std::int64_t, groups) = 1;
  EMBER_ARG(bool, bias) = true;
  EMBER_ARG(Pair, dilation) = 1;
  // "zeros" only, as in PyTorch.
  EMBER_ARG(std::string, padding_mode) = "zeros";
};

// Holds weight (in_channels, out_channels / groups, kH, kW) and, when options.bias(), bias
// (out_channels); forward: (N, C, H, W) or unbatched (C, H, W) -> (N, O, Ho, Wo),
// Ho = (H - 1) sH - 2 pH + dH (kH - 1) + output_padding + 1. Invalid options fail in the
// constructor with PyTorch's messages. No output_size argument to forward.
// https://pytorch.org/docs/stable/generated/torch.nn.ConvTranspose2d.html
class ConvTranspose2d : public Module {
 public:
  explicit ConvTranspose2d(const ConvTranspose2dOptions& options);
  // PyTorch's short form: ConvTranspose2d(16, 8, 3).
  ConvTranspose2d(std::int64_t in_channels, std::int64_t out_channels, Pair kernel_size)
      : ConvTranspose2d(ConvTranspose2dOptions(in_channels, out_channels, kernel_size)) {}

  Tensor forward(const Tensor& input) override;
  // PyTorch's: kaiming_uniform_(weight, a = sqrt(5)) and bias from U(-1/sqrt(fan_in),
  // 1/sqrt(fan_in)), with fan_in read off the weight: out_channels / groups * kH * kW.
  void reset_parameters();

  std::string type_name() const override { return "ConvTranspose2d"; }
  // "16, 8, kernel_size=(3, 3), stride=(2, 2)", then padding, dilation, output_padding, groups
  // and bias=False where they differ from the defaults, in PyTorch's order.
  std::string extra_repr() const override;

  ConvTranspose2dOptions options;
  Tensor weight;  // handles to the registered parameters
  Tensor bias;    // undefined when options.bias() is false
};

}  // namespace ember::nn
