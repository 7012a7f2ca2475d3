// ZipReader: reads the central directory of a zip archive held in memory, checking everything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace ember::serialize {

// Zip-bomb limits for compressed entries, checked against the central directory before
// anything is inflated (and the inflated size is then held to what the directory declares).
struct ZipLimits {
  std::uint64_t max_entry_size = std::uint64_t{1} << 30;  // bytes one entry inflates to (1 GiB)
  std::uint64_t max_total_size = std::uint64_t{4} << 30;  // all compressed entries together (4 GiB)
  std::uint64_t max_ratio = 1000;  // inflated / compressed size (deflate's own ceiling is ~1032); 0: none
};

// A reader for the archives torch.save writes (stored entries, zip64 where needed) and for
// those with deflate-compressed entries (TorchScript's code/ records, files re-zipped by a zip
// tool), written for untrusted input: every size, offset and count is checked against the
// buffer before use, and nothing is allocated in proportion to a claimed size that the limits
// have not passed. Sizes, CRCs and offsets come from the central directory (PyTorch's local
// headers carry zeros and a data descriptor). Errors throw SerializeError("load", file, entry,
// reason).
class ZipReader {
 public:
  struct Entry {
    std::string name;
    std::uint64_t data_offset = 0;  // of the entry's first (compressed) byte in the buffer
    std::uint64_t size = 0;  // the entry's bytes, once inflated
    std::uint64_t compressed_size = 0;  // the bytes it takes in the archive (size, if stored)
    std::uint32_t crc = 0;  // of the inflated bytes
    std::uint16_t method = 0;  // 0 stored, 8 deflate: the only two the reader accepts
    bool compressed() const { return method != 0; }
  };

  // The buffer must outlive the reader; file is the name used in messages. Refuses an archive
  // with an entry in another compression method, or whose compressed entries break limits.
  ZipReader(const std::uint8_t* data, std::size_t size, std::string file, ZipLimits limits = ZipLimits());

  // True if the buffer begins like a zip archive ("PK\3\4" or an empty archive's "PK\5\6").
  static bool looks_like_zip(const std::uint8_t* data, std::size_t size);

  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* find(const std::string& name) const;  // nullptr if absent
  // A stored entry's bytes where they lie in the buffer, after checking its CRC-32 (throws on a
  // mismatch). Throws for a compressed entry: those need extract().
  const std::uint8_t* read(const Entry& entry) const;
  // Any entry's bytes, inflated if compressed, into out (entry.size bytes), after checking
  // that it inflates to exactly the declared size and that its CRC-32 matches.
  void extract_to(const Entry& entry, std::uint8_t* out) const;
  // The same into a new buffer; by name, throwing if the archive has no such entry.
  std::vector<std::uint8_t> extract(const Entry& entry) const;
  std::vector<std::uint8_t> extract(const std::string& name) const;

 private:
  [[noreturn]] void fail(const std::string& entry, const std::string& reason) const;
  void read_end_records(std::uint64_t& count, std::uint64_t& cd_offset, std::uint64_t& cd_size,
                        std::uint64_t& cd_limit) const;
  std::uint64_t read_central_entry(std::uint64_t pos, std::uint64_t cd_end);
  void locate_data(Entry& entry, std::uint64_t header_offset) const;
  void check_method(const Entry& entry, std::uint16_t flags);
  void check_crc(const Entry& entry, const std::uint8_t* bytes) const;

  const std::uint8_t* data_;
  std::size_t size_;
  std::string file_;
  ZipLimits limits_;
  std::uint64_t cd_offset_ = 0;
  std::uint64_t inflated_total_ = 0;  // declared sizes of the compressed entries so far
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace ember::serialize
