// MappedFile: a whole file mapped into memory, shared by the tensors loaded from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace ember::serialize {

// Loading maps the file once (mmap, copy-on-write) and lets each loaded storage point straight
// into the mapping, so a checkpoint's bytes are never copied: the pages come from the page
// cache, and writing to a loaded tensor copies only the page it touches, never the file.
// Storages hold a shared_ptr to the MappedFile, which unmaps when the last one goes.
class MappedFile {
 public:
  // Throws SerializeError("load", path, "", reason) if the file cannot be opened or mapped.
  static std::shared_ptr<MappedFile> open(const std::string& path);
  // A copy of bytes already in memory, under a name for messages (fuzzing, tests).
  static std::shared_ptr<MappedFile> from_bytes(const std::string& name, const void* data, std::size_t size);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::uint8_t* data() const { return data_; }
  std::uint8_t* mutable_data() { return data_; }  // private mapping: writes stay in memory
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  std::string path_;
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  bool mapped_ = false;  // true: munmap on destruction
  bool owned_ = false;  // true: free() on destruction (from_bytes)
};

}  // namespace ember::serialize
