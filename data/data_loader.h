// DataLoader: batches of a Dataset, shuffled per epoch from a seeded Generator, with a
// position that can be saved in a checkpoint and restored for an exact resume
// (torch.utils.data.DataLoader with batch_size, shuffle, drop_last, generator).
//
// One call to next() returns the next batch; after the last batch of an epoch it returns
// std::nullopt once, and the call after that begins a new epoch (drawing a new order when
// shuffling). A training loop therefore reads:
//
//   data::DataLoader loader(train_set, {/*batch_size=*/64, /*shuffle=*/true}, &generator);
//   for (int epoch = start_epoch; epoch < epochs; ++epoch) {
//     while (auto batch = loader.next()) {
//       Tensor loss = nn::functional::cross_entropy(model(batch->input), batch->target);
//       ...
//     }
//     checkpoint.set("loader", loader.state());   // together with generator.get_state()
//   }
//
// and a resumed run calls loader.load_state(checkpoint.at("loader")) and
// generator.set_state(...) before the same loop.
//
// Saving and restoring. state() records the epoch, the index of the next batch, and, while an
// epoch is in progress with shuffling, the generator state from which that epoch's order was
// drawn (about 7 KB, instead of the 8-byte-per-example permutation). load_state() redraws the
// order from it with a private copy of the generator, so a run stopped mid-epoch continues
// with exactly the batches it would have had. The loader does not own the generator and does
// not restore it: the next epoch's order is drawn from wherever the caller's generator then
// stands, so save the generator's state (Generator::get_state) at the same moment as the
// loader's and restore both, as PyTorch's recipe does with torch.get_rng_state.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ember/data/dataset.h"
#include "ember/core/value.h"
#include "ember/tensor/generator.h"

namespace ember::data {

struct DataLoaderOptions {
  std::int64_t batch_size = 1;
  bool shuffle = false;  // a new random order every epoch, drawn with randperm
  bool drop_last = false;  // skip the last batch when it would be smaller than batch_size
};

class DataLoader {
 public:
  // dataset must outlive the loader (it is read, never copied). generator is the source of
  // shuffling (default_generator() when null) and must outlive the loader too.
  // Checks batch_size >= 1.
  DataLoader(const Dataset& dataset, DataLoaderOptions options = {},
             Generator* generator = nullptr);
  // A temporary dataset would be destroyed before the first batch: keep it in a variable.
  DataLoader(const Dataset&& dataset, DataLoaderOptions options = {},
             Generator* generator = nullptr) = delete;

  // The next batch of the current epoch (beginning one if none is in progress), or
  // std::nullopt when the epoch has no batch left, which also ends it.
  std::optional<Batch> next();

  // Batches per epoch: ceil(N / batch_size), or floor with drop_last (len(loader) in PyTorch).
  std::int64_t num_batches() const;
  // Batches already returned in the current epoch (0 when none is in progress).
  std::int64_t batches_done() const { return in_epoch_ ? next_batch_ : 0; }
  // Epochs completed so far; also the 0-based index of the epoch in progress.
  std::int64_t epoch() const { return epoch_; }
  bool in_epoch() const { return in_epoch_; }
  const DataLoaderOptions& options() const { return options_; }
  const Dataset& dataset() const { return dataset_; }

  // The position, as a dict for a checkpoint:
  //   {'epoch': int, 'batch': int, 'in_epoch': bool, 'dataset_size': int,
  //    'batch_size': int, 'shuffle': bool, 'drop_last': bool,
  //    'epoch_generator_state': uint8 tensor (only while a shuffled epoch is in progress)}
  Value state() const;
  // Restores a position from state(). Checks that it was saved by a loader with the same
  // dataset size, batch_size, shuffle and drop_last, naming the first that differs.
  void load_state(const Value& state);

 private:
  void begin_epoch();
  // The dataset indices of the current epoch, in order (drawn or 0..N-1).
  void draw_order(Generator& generator);

  const Dataset& dataset_;
  DataLoaderOptions options_;
  Generator* generator_;
  std::int64_t epoch_ = 0;
  std::int64_t next_batch_ = 0;
  bool in_epoch_ = false;
  Tensor epoch_generator_state_;  // the generator before this epoch's order was drawn
  std::vector<std::int64_t> order_;
};

}  // namespace ember::data
