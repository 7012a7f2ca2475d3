// ZipWriter: the uncompressed zip container PyTorch's torch.save writes (since 1.6).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ember::serialize {

// Writes stored (uncompressed) entries one after another, each entry's data starting at a
// multiple of 64 bytes, as PyTorch's caffe2::serialize::PyTorchStreamWriter does: the local
// header's extra field holds an 'FB' block of padding sized so the data lands on the boundary
// (this is what lets a reader map tensors straight out of the file). Zip64 fields are written
// only when a size or offset needs them (or always, with force_zip64, for tests).
//
//   ZipWriter zip([&](const void* p, std::size_t n) { file.write_all(p, n); });
//   zip.add("ckpt/data.pkl", pickle.data(), pickle.size());
//   zip.finish();  // central directory and end records
class ZipWriter {
 public:
  using Sink = std::function<void(const void* data, std::size_t size)>;
  static constexpr std::size_t kAlignment = 64;

  explicit ZipWriter(Sink sink, bool force_zip64 = false);
  // Writes one entry now; data is not kept. The CRC-32 is computed here.
  void add(const std::string& name, const void* data, std::size_t size);
  void finish();

 private:
  struct Entry {
    std::string name;
    std::uint64_t offset;  // of the local header
    std::uint64_t size;
    std::uint32_t crc;
  };
  void emit(const std::string& bytes);
  void write_central_directory();

  Sink sink_;
  bool force_zip64_;
  std::uint64_t position_ = 0;
  std::vector<Entry> entries_;
  bool finished_ = false;
};

}  // namespace ember::serialize
