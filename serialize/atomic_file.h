// AtomicFile: writes a file so that a crash at any moment leaves the old file or the new one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ember::serialize {

// The classic recipe (as in SQLite, git, LevelDB): write into a temporary file in the
// destination's directory, fsync it, rename() it over the destination (atomic on POSIX file
// systems), then fsync the directory so the rename itself is durable.
//
//   AtomicFile file(path);
//   write(file.fd(), ...);
//   file.commit();          // until here the destination is untouched
//
// If commit() is never reached (an exception), the destructor removes the temporary file. A
// process killed mid-write leaves a stray ".<name>.tmp-*" file next to the destination,
// never a damaged destination.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // Writes all of [data, data + size), retrying short writes; throws SerializeError. Every
  // kWritebackChunk bytes it asks the kernel to start writing what came before to disk (see
  // atomic_file.cpp): saving then streams at disk speed instead of stalling at the end.
  void write_all(const void* data, std::size_t size);
  // fsync, close, rename over the destination, fsync the directory. durable=false skips the
  // two fsyncs: still atomic against a killed process, not against a power cut.
  void commit(bool durable = true);

 private:
  [[noreturn]] void fail(const std::string& what) const;

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  bool committed_ = false;
  std::uint64_t written_ = 0;      // bytes written so far
  std::uint64_t writeback_to_ = 0; // bytes already handed to the kernel's writeback
};

}  // namespace ember::serialize
