// Dataset's default batching and TensorDataset's row-copying one.
#include "ember/data/dataset.h"

#include <cstring>

#include "ember/tensor/factories.h"

namespace ember::data {

namespace {

void check_index(std::int64_t index, std::int64_t size, const char* where) {
  check(index >= 0 && index < size, where, ": index ", index, " is out of range for a dataset of ",
        size, " examples");
}

// The shape of a batch of `count` inputs each of shape `example`: (count, example...).
Shape batch_shape(std::int64_t count, const Shape& example) {
  Shape shape{count};
  shape.insert(shape.end(), example.begin(), example.end());
  return shape;
}

}  // namespace

Batch Dataset::get_batch(const std::vector<std::int64_t>& indices) const {
  check(!indices.empty(), "Dataset::get_batch: expected at least one index, found none");
  const auto count = static_cast<std::int64_t>(indices.size());
  Batch batch;
  batch.target = empty({count}, kInt64);
  auto* targets = batch.target.data_ptr<std::int64_t>();
  for (std::int64_t k = 0; k < count; ++k) {
    check_index(indices[k], size(), "Dataset::get_batch");
    Example example = get(indices[k]);
    if (k == 0) batch.input = empty(batch_shape(count, example.input.shape()), example.input.dtype());
    check(example.input.shape() == batch.input.select(0, 0).shape() &&
              example.input.dtype() == batch.input.dtype(),
          "Dataset::get_batch: example ", indices[k], " has shape ",
          shape_str(example.input.shape()), " and dtype ", dtype_name(example.input.dtype()),
          ", expected shape ", shape_str(batch.input.select(0, 0).shape()), " and dtype ",
          dtype_name(batch.input.dtype()), " like the first example of the batch");
    batch.input.select(0, k).copy_(example.input);
    targets[k] = example.target;
  }
  return batch;
}

TensorDataset::TensorDataset(Tensor inputs, Tensor targets) {
  check(inputs.defined() && targets.defined(), "TensorDataset: inputs and targets must be defined");
  check(targets.dim() == 1 && targets.dtype() == kInt64,
        "TensorDataset: expected targets of shape (N) and dtype int64, found shape ",
        shape_str(targets.shape()), " and dtype ", dtype_name(targets.dtype()));
  check(inputs.dim() >= 1 && inputs.size(0) == targets.size(0),
        "TensorDataset: inputs and targets must have the same first dimension, found inputs ",
        shape_str(inputs.shape()), " and targets ", shape_str(targets.shape()));
  inputs_ = inputs.detach().contiguous();
  targets_ = targets.detach().contiguous();
}

Example TensorDataset::get(std::int64_t index) const {
  check_index(index, size(), "TensorDataset::get");
  return {inputs_.select(0, index), targets_.data_ptr<std::int64_t>()[index]};
}

Batch TensorDataset::get_batch(const std::vector<std::int64_t>& indices) const {
  check(!indices.empty(), "TensorDataset::get_batch: expected at least one index, found none");
  const auto count = static_cast<std::int64_t>(indices.size());
  Shape example_shape(inputs_.shape().begin() + 1, inputs_.shape().end());
  Batch batch{empty(batch_shape(count, example_shape), inputs_.dtype()), empty({count}, kInt64)};

  // Row i of inputs_ is row_bytes contiguous bytes at i * row_bytes: one memcpy per example.
  const std::size_t row_bytes = static_cast<std::size_t>(numel_of(example_shape)) * inputs_.element_size();
  const auto* src = static_cast<const char*>(inputs_.raw_data());
  auto* dst = static_cast<char*>(batch.input.raw_data());
  const auto* src_targets = targets_.data_ptr<std::int64_t>();
  auto* dst_targets = batch.target.data_ptr<std::int64_t>();
  for (std::int64_t k = 0; k < count; ++k) {
    const std::int64_t i = indices[k];
    check_index(i, size(), "TensorDataset::get_batch");
    std::memcpy(dst + k * row_bytes, src + i * row_bytes, row_bytes);
    dst_targets[k] = src_targets[i];
  }
  return batch;
}

}  // namespace ember::data
