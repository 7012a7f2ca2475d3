// Dataset and TensorDataset: what a DataLoader draws examples from (torch.utils.data.Dataset).
#pragma once

#include <cstdint>
#include <vector>

#include "ember/tensor/tensor.h"

namespace ember::data {

// One example: an input tensor (e.g. an image (C,H,W)) and its class index.
struct Example {
  Tensor input;
  std::int64_t target = 0;
};

// A batch of examples stacked along a new first dimension: input (B,...), target (B) int64.
struct Batch {
  Tensor input;
  Tensor target;
  std::int64_t size() const { return target.defined() ? target.size(0) : 0; }
};

// The interface a DataLoader reads: a size and random access by index, as PyTorch's
// map-style Dataset (__len__ / __getitem__).
//
// get_batch() collates several examples into one Batch. The default stacks get(i) one by
// one; datasets that hold their data in one block override it to copy whole rows at once,
// as torch.utils.data's __getitems__ and the C++ frontend's BatchDataset::get_batch allow.
class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual std::int64_t size() const = 0;
  // Checks 0 <= index < size().
  virtual Example get(std::int64_t index) const = 0;
  // Every example's input must have the same shape and dtype; indices are checked.
  virtual Batch get_batch(const std::vector<std::int64_t>& indices) const;
};

// A dataset held in memory as two tensors, as torch.utils.data.TensorDataset:
// inputs (N,...) of any dtype (float32 for images) and targets (N) int64.
//
// get() returns a view of row i (no copy). get_batch() memcpy's the selected rows into a new
// contiguous tensor, which is all a loader does per batch.
class TensorDataset : public Dataset {
 public:
  // The tensors are made contiguous (copied only if they are not already). Checks that
  // targets is 1-D int64 and that both have the same first dimension.
  TensorDataset(Tensor inputs, Tensor targets);

  std::int64_t size() const override { return targets_.size(0); }
  Example get(std::int64_t index) const override;
  Batch get_batch(const std::vector<std::int64_t>& indices) const override;

  const Tensor& inputs() const { return inputs_; }
  const Tensor& targets() const { return targets_; }

 private:
  Tensor inputs_;
  Tensor targets_;
};

}  // namespace ember::data
