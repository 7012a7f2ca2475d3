// Reader for the CIFAR-10 binary format ("CIFAR-10 binary version" of
// https://www.cs.toronto.edu/~kriz/cifar.html), and load_cifar10.
//
// Each file is a sequence of 3073-byte records: 1 label byte (0..9), then 3072 pixel bytes,
// the 1024 red values of the 32x32 image row by row, then the 1024 green, then the 1024 blue:
// exactly the (3,32,32) layout of a PyTorch image tensor.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ember/data/dataset.h"
#include "ember/data/normalize.h"

namespace ember::data {

inline constexpr std::int64_t kCifar10RecordBytes = 1 + 3 * 32 * 32;
// The names torchvision's CIFAR10 uses for its 10 classes, by label.
extern const char* const kCifar10Classes[10];

// The records of one or more files (gzipped or plain), concatenated in order: inputs
// (N,3,32,32) float32 scaled to [0, 1] then normalized if asked, targets (N) int64.
// Throws Error naming the file when it is missing, is not a whole number of records
// ("truncated: ..."), or holds a label outside 0..9.
TensorDataset read_cifar10(const std::vector<std::string>& paths,
                           std::optional<Normalize> normalize = std::nullopt);

// The training set (data_batch_1.bin .. data_batch_5.bin, 50000 images) or the test set
// (test_batch.bin, 10000) from dir, the folder cifar-10-batches-bin of the official archive.
// Pass cifar10_normalize() to normalize with CIFAR-10's per-channel mean and std.
TensorDataset load_cifar10(const std::string& dir, bool train,
                           std::optional<Normalize> normalize = std::nullopt);

}  // namespace ember::data
