// The Conv1d layer and its options (torch.nn.Conv1d). functional::conv1d (nn/functional.h) is a
// thin layer over conv2d: the sequence is an image of height 1, the kernel a 1 x K window.
#pragma once

#include <cstdint>
#include <string>

#include "ember/core/arg.h"
#include "ember/nn/module.h"

namespace ember::nn {

// Conv1d's arguments, with PyTorch's names and defaults:
//   Conv1d(Conv1dOptions(16, 33, 3).stride(2).padding(1).bias(false))
// https://pytorch.org/cppdocs/api/structtorch_1_1nn_1_1_conv_options.html
struct Conv1dOptions {
  Conv1dOptions(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}

  EMBER_ARG(std::int64_t, in_channels);
  EMBER_ARG(std::int64_t, out_channels);
  EMBER_ARG(std::int64_t, kernel_size);
  EMBER_ARG(std::int64_t, stride) = 1;
  EMBER_ARG(std::int64_t, padding) = 0;
  EMBER_ARG(std::int64_t, dilation) = 1;
  EMBER_ARG(std::int64_t, groups) = 1;
  EMBER_ARG(bool, bias) = true;
  // "zeros" only, as Conv2d's.
  EMBER_ARG(std::string, padding_mode) = "zeros";
};

// Holds weight (out_channels, in_channels / groups, kernel_size) and, when options.bias(), bias
// (out_channels); forward: (N, C, L) or unbatched (C, L) -> (N, O, Lo) or (O, Lo), by
// functional::conv1d. Invalid options fail in the constructor with PyTorch's messages.
// https://pytorch.org/docs/stable/generated/torch.nn.Conv1d.html
class Conv1d : public Module {
 public:
  explicit Conv1d(const Conv1dOptions& options);
  // PyTorch's short form: Conv1d(16, 33, 3) for in_channels, out_channels, kernel_size.
  Conv1d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size)
      : Conv1d(Conv1dOptions(in_channels, out_channels, kernel_size)) {}

  Tensor forward(const Tensor& input) override;
  // As Conv2d's: weight and bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in =
  // in_channels / groups * kernel_size (kaiming_uniform_ with a = sqrt(5)).
  void reset_parameters();

  std::string type_name() const override { return "Conv1d"; }
  // "16, 33, kernel_size=(3,), stride=(1,)", then padding, dilation, groups and bias=False
  // where they differ from the defaults.
  std::string extra_repr() const override;

  Conv1dOptions options;
  Tensor weight;  // handles to the registered parameters
  Tensor bias;    // undefined when options.bias() is false
};

}  // namespace ember::nn
