// BatchNorm2d: per-channel normalisation with learned scale and shift (torch.nn.BatchNorm2d).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nn/module.h"

namespace ember::nn {

// Registers, in PyTorch's order, the parameters weight (ones) and bias (zeros) when affine,
// and the buffers running_mean (zeros), running_var (ones) and num_batches_tracked (int64, 0-d)
// when track_running_stats. In training mode forward normalises with the batch's statistics
// and folds them into the running ones with momentum, or, when momentum is std::nullopt
// (PyTorch's None), into their cumulative average; in eval mode it uses the running ones.
// Prints "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)".
// https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html
class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(std::int64_t num_features, double eps = 1e-5,
                       std::optional<double> momentum = 0.1, bool affine = true,
                       bool track_running_stats = true);

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

  std::int64_t num_features;
  double eps;
  std::optional<double> momentum;
  bool affine;
  bool track_running_stats;
  // Handles to the registered tensors; undefined when not registered.
  Tensor weight, bias;
  Tensor running_mean, running_var, num_batches_tracked;
};

}  // namespace ember::nn
