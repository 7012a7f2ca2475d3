// CIFAR-10 binary records -> (N,3,32,32) float32 images and int64 labels.
#include "ember/data/cifar10.h"

#include "ember/data/file_bytes.h"
#include "ember/tensor/factories.h"

namespace ember::data {

const char* const kCifar10Classes[10] = {"airplane", "automobile", "bird",  "cat",  "deer",
                                         "dog",      "frog",       "horse", "ship", "truck"};

namespace {

constexpr std::int64_t kPixels = kCifar10RecordBytes - 1;

// Checks that bytes is a whole number of records and returns how many.
std::int64_t count_records(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  const auto size = static_cast<std::int64_t>(bytes.size());
  const std::int64_t records = size / kCifar10RecordBytes;
  const std::int64_t left_over = size % kCifar10RecordBytes;
  check(size > 0, path, ": empty: expected ", kCifar10RecordBytes,
        "-byte CIFAR-10 records (1 label byte + 3072 pixel bytes)");
  check(left_over == 0, path, ": truncated: expected a whole number of ", kCifar10RecordBytes,
        "-byte records, found ", size, " bytes (", records, " records and ", left_over,
        " bytes of a partial one)");
  return records;
}

}  // namespace

TensorDataset read_cifar10(const std::vector<std::string>& paths,
                           std::optional<Normalize> normalize) {
  check(!paths.empty(), "read_cifar10: expected at least one file, found none");
  std::vector<std::vector<std::uint8_t>> files;
  std::int64_t total = 0;
  for (const std::string& path : paths) {
    files.push_back(read_file_bytes(path));
    total += count_records(path, files.back());
  }

  Tensor inputs = empty({total, 3, 32, 32}, kFloat32);
  Tensor targets = empty({total}, kInt64);
  float* pixels = inputs.data_ptr<float>();
  std::int64_t* labels = targets.data_ptr<std::int64_t>();
  std::int64_t n = 0;  // next example to fill
  for (std::size_t f = 0; f < files.size(); ++f) {
    const std::uint8_t* record = files[f].data();
    const std::int64_t records = static_cast<std::int64_t>(files[f].size()) / kCifar10RecordBytes;
    for (std::int64_t r = 0; r < records; ++r, ++n, record += kCifar10RecordBytes) {
      check(record[0] < 10, paths[f], ": record ", r, " has label ", int{record[0]},
            ", expected a class index in 0..9");
      labels[n] = record[0];
      // The pixel bytes are already in (C,H,W) order; ToTensor's float32 division by 255.
      float* image = pixels + n * kPixels;
      for (std::int64_t i = 0; i < kPixels; ++i) image[i] = static_cast<float>(record[1 + i]) / 255.0f;
    }
  }
  if (normalize) normalize->apply_(inputs);
  return TensorDataset(inputs, targets);
}

TensorDataset load_cifar10(const std::string& dir, bool train, std::optional<Normalize> normalize) {
  const std::string prefix = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  std::vector<std::string> paths;
  if (train) {
    for (int i = 1; i <= 5; ++i) paths.push_back(prefix + "data_batch_" + std::to_string(i) + ".bin");
  } else {
    paths.push_back(prefix + "test_batch.bin");
  }
  for (const std::string& path : paths) {
    check(!first_existing_file({path}).empty(), path,
          ": not found; expected the files of the CIFAR-10 binary version (cifar-10-batches-bin) in ",
          dir);
  }
  return read_cifar10(paths, std::move(normalize));
}

}  // namespace ember::data
