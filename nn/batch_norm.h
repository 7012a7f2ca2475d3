// BatchNorm2d: per-channel normalisation with learned scale and shift (torch.nn.BatchNorm2d).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ember/nn/module.h"

namespace ember::nn {

// BatchNorm2d's arguments: BatchNorm2d(BatchNorm2dOptions(16).eps(1e-3).momentum(0.01)).
// momentum std::nullopt is PyTorch's None (a cumulative average).
// https://pytorch.org/cppdocs/api/structtorch_1_1nn_1_1_batch_norm_options.html
class BatchNorm2dOptions {
 public:
  // Implicit, as PyTorch's, so that BatchNorm2d(16) reads as it does in Python.
  BatchNorm2dOptions(std::int64_t num_features) : num_features_(num_features) {}  // NOLINT

  BatchNorm2dOptions& num_features(std::int64_t v) { num_features_ = v; return *this; }
  BatchNorm2dOptions& eps(double v) { eps_ = v; return *this; }
  BatchNorm2dOptions& momentum(std::optional<double> v) { momentum_ = v; return *this; }
  BatchNorm2dOptions& affine(bool v) { affine_ = v; return *this; }
  BatchNorm2dOptions& track_running_stats(bool v) { track_running_stats_ = v; return *this; }

  std::int64_t num_features() const { return num_features_; }
  double eps() const { return eps_; }
  std::optional<double> momentum() const { return momentum_; }
  bool affine() const { return affine_; }
  bool track_running_stats() const { return track_running_stats_; }

 private:
  std::int64_t num_features_;
  double eps_ = 1e-5;
  std::optional<double> momentum_ = 0.1;
  bool affine_ = true;
  bool track_running_stats_ = true;
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
