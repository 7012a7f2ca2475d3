// BatchNorm2d: per-channel normalisation with learned scale and shift (torch.nn.BatchNorm2d).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ember/core/arg.h"
#include "ember/nn/module.h"

namespace ember::nn {

// BatchNorm2d's arguments: BatchNorm2d(BatchNorm2dOptions(16).eps(1e-3).momentum(0.01)).
// momentum std::nullopt is PyTorch's None (a cumulative average).
// https://pytorch.org/cppdocs/api/structtorch_1_1nn_1_1_batch_norm_options.html
struct BatchNorm2dOptions {
  // Implicit, as PyTorch's, so that BatchNorm2d(16) reads as it does in Python.
  BatchNorm2dOptions(std::int64_t num_features) : num_features_(num_features) {}  // NOLINT

  EMBER_ARG(std::int64_t, num_features);
  EMBER_ARG(double, eps) = 1e-5;
  EMBER_ARG(std::optional<double>, momentum) = 0.1;
  EMBER_ARG(bool, affine) = true;
  EMBER_ARG(bool, track_running_stats) = true;
};

// Registers, in PyTorch's order, the parameters weight (ones) and bias (zeros) when affine,
// and the buffers running_mean (zeros), running_var (ones) and num_batches_tracked (int64, 0-d)
// when track_running_stats. In training mode forward normalises with the batch's statistics
// and folds them into the running ones with momentum, or, when momentum is std::nullopt,
// into their cumulative average; in eval mode it uses the running ones.
// Prints "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)".
// https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html
class BatchNorm2d : public Module {
 public:
  // BatchNorm2d(16) is the short form, through BatchNorm2dOptions' implicit constructor.
  explicit BatchNorm2d(const BatchNorm2dOptions& options);

  // input (N, C, H, W) -> (N, C, H, W).
  Tensor forward(const Tensor& input) override;
  // Running stats back to mean 0, variance 1, no batches seen.
  void reset_running_stats();
  // reset_running_stats(), and weight back to ones, bias to zeros.
  void reset_parameters();

  std::string type_name() const override { return "BatchNorm2d"; }
  std::string extra_repr() const override;
  // Version 2 added num_batches_tracked; PyTorch reads the version to upgrade old files.
  std::int64_t version() const override { return 2; }

  BatchNorm2dOptions options;
  // Handles to the registered tensors; undefined when not registered.
  Tensor weight, bias;
  Tensor running_mean, running_var, num_batches_tracked;
};

}  // namespace ember::nn
