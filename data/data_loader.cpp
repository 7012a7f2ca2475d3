// DataLoader: per-epoch order, batch slicing, and the saved position.
#include "ember/data/data_loader.h"

#include <algorithm>
#include <numeric>

#include "ember/tensor/factories.h"

namespace ember::data {

DataLoader::DataLoader(const Dataset& dataset, DataLoaderOptions options, Generator* generator)
    : dataset_(dataset),
      options_(options),
      generator_(generator != nullptr ? generator : &default_generator()) {
  check(options_.batch_size >= 1, "DataLoader: batch_size should be a positive integer, found ",
        options_.batch_size);
}

std::int64_t DataLoader::num_batches() const {
  const std::int64_t n = dataset_.size();
  return options_.drop_last ? n / options_.batch_size
                            : (n + options_.batch_size - 1) / options_.batch_size;
}

void DataLoader::draw_order(Generator& generator) {
  const std::int64_t n = dataset_.size();
  order_.resize(static_cast<std::size_t>(n));
  if (options_.shuffle) {
    const Tensor permutation = randperm(n, &generator);
    const auto* p = permutation.data_ptr<std::int64_t>();
    std::copy(p, p + n, order_.begin());
  } else {
    std::iota(order_.begin(), order_.end(), std::int64_t{0});
  }
}

void DataLoader::begin_epoch() {
  if (options_.shuffle) epoch_generator_state_ = generator_->get_state();
  draw_order(*generator_);
  next_batch_ = 0;
  in_epoch_ = true;
}

std::optional<Batch> DataLoader::next() {
  if (!in_epoch_) begin_epoch();
  if (next_batch_ >= num_batches()) {
    in_epoch_ = false;
    next_batch_ = 0;
    ++epoch_;
    epoch_generator_state_ = Tensor();
    return std::nullopt;
  }
  const std::int64_t n = dataset_.size();
  const std::int64_t start = next_batch_ * options_.batch_size;
  const std::int64_t end = std::min(start + options_.batch_size, n);
  ++next_batch_;
  return dataset_.get_batch(std::vector<std::int64_t>(order_.begin() + start, order_.begin() + end));
}

Value DataLoader::state() const {
  Value state = Value::dict();
  state.set("epoch", epoch_);
  state.set("batch", next_batch_);
  state.set("in_epoch", in_epoch_);
  state.set("dataset_size", dataset_.size());
  state.set("batch_size", options_.batch_size);
  state.set("shuffle", options_.shuffle);
  state.set("drop_last", options_.drop_last);
  if (in_epoch_ && options_.shuffle) state.set("epoch_generator_state", epoch_generator_state_);
  return state;
}

void DataLoader::load_state(const Value& state) {
  check(state.is_dict(), "DataLoader::load_state: expected a dict from DataLoader::state(), found ",
        state.kind_name());
  const auto expect_same = [&](const char* key, std::int64_t mine) {
    const std::int64_t saved = state.at(key).is_bool() ? state.at(key).as_bool() : state.at(key).as_int();
    check(saved == mine, "DataLoader::load_state: the state was saved with ", key, " = ", saved,
          ", this loader has ", key, " = ", mine);
  };
  expect_same("dataset_size", dataset_.size());
  expect_same("batch_size", options_.batch_size);
  expect_same("shuffle", options_.shuffle);
  expect_same("drop_last", options_.drop_last);

  const std::int64_t epoch = state.at("epoch").as_int();
  const std::int64_t batch = state.at("batch").as_int();
  const bool in_epoch = state.at("in_epoch").as_bool();
  check(epoch >= 0 && batch >= 0 && batch <= num_batches(),
        "DataLoader::load_state: expected epoch >= 0 and batch in 0..", num_batches(),
        ", found epoch ", epoch, " and batch ", batch);
  if (in_epoch && options_.shuffle) {
    // Redraw this epoch's order from the saved generator state, on a private generator so the
    // caller's generator is left where it is.
    Generator replay;
    replay.set_state(state.at("epoch_generator_state").as_tensor());
    draw_order(replay);
    epoch_generator_state_ = state.at("epoch_generator_state").as_tensor();
  } else if (in_epoch) {
    draw_order(*generator_);  // 0..N-1: draws nothing
  }
  epoch_ = epoch;
  next_batch_ = in_epoch ? batch : 0;
  in_epoch_ = in_epoch;
}

}  // namespace ember::data
