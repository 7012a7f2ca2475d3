// ZipReader: reads the central directory of a zip archive held in memory, checking everything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace ember::serialize {

// A reader for the archives torch.save writes (stored entries, zip64 where needed), written for
// untrusted input: every size, offset and count is checked against the buffer before use, and
// nothing is allocated in proportion to a claimed size. Sizes, CRCs and offsets come from the
// central directory (PyTorch's local headers carry zeros and a data descriptor). Errors throw
// SerializeError("load", file, entry, reason).
class ZipReader {
 public:
  struct Entry {
    std::string name;
    std::uint64_t data_offset = 0;  // of the entry's first byte in the buffer
    std::uint64_t size = 0;
    std::uint32_t crc = 0;
  };

  // The buffer must outlive the reader; file is the name used in messages.
  ZipReader(const std::uint8_t* data, std::size_t size, std::string file);

  // True if the buffer begins like a zip archive ("PK\3\4" or an empty archive's "PK\5\6").
  static bool looks_like_zip(const std::uint8_t* data, std::size_t size);

  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* find(const std::string& name) const;  // nullptr if absent
  // The entry's bytes, after checking its CRC-32 (throws on a mismatch).
  const std::uint8_t* read(const Entry& entry) const;

 private:
  [[noreturn]] void fail(const std::string& entry, const std::string& reason) const;
  void read_end_records(std::uint64_t& count, std::uint64_t& cd_offset, std::uint64_t& cd_size,
                        std::uint64_t& cd_limit) const;
  std::uint64_t read_central_entry(std::uint64_t pos, std::uint64_t cd_end);
  void locate_data(Entry& entry, std::uint64_t header_offset) const;

  const std::uint8_t* data_;
  std::size_t size_;
  std::string file_;
  std::uint64_t cd_offset_ = 0;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace ember::serialize
