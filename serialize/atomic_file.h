// AtomicFile: writes a file so that a crash at any moment leaves the old file or the new one.
#pragma once

#include <sys/types.h>

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
//
// What is around the file stays as torch.save (Python's open(path, "wb")) leaves it:
//   - Symlinks are written through. When path is a symlink (relative or absolute, or a chain
//     of them, at most 40 as Linux's open() follows), the file it leads to is the one
//     replaced: the temporary file goes into the target's directory, is renamed over the
//     target, and that directory is fsynced. The link stays a link. A dangling link creates
//     its target, as open() would, when the target's directory exists.
//   - An existing file keeps its permission bits (0600 stays 0600) and, where the process may
//     set them (root, or a group it belongs to), its owner and group. A new file gets the mode
//     a plain open() gives: 0666 less the umask.
//   - A read-only file, a directory or anything but a regular file at the destination is
//     refused (open("wb") fails on the first two; rename() would replace a device or a FIFO).
// What is not kept: the file's inode. Hard links to the old file keep the old contents, and
// ACLs and extended attributes are not copied. torch.save keeps hard links because it
// truncates and rewrites the file in place, which is exactly what is not crash-safe. Unlike
// torch.save, saving needs write permission on the target's directory.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // The file that commit() replaces: path() itself, or where its symlinks lead.
  const std::string& target() const { return target_; }
  // Writes all of [data, data + size), retrying short writes; throws SerializeError. Every
  // kWritebackChunk bytes it asks the kernel to start writing what came before to disk (see
  // atomic_file.cpp): saving then streams at disk speed instead of stalling at the end.
  void write_all(const void* data, std::size_t size);
  // fsync, close, rename over the target, fsync the target's directory. durable=false skips
  // the two fsyncs: still atomic against a killed process, not against a power cut.
  void commit(bool durable = true);

 private:
  void resolve_target();
  void keep_mode_and_owner();
  [[noreturn]] void fail(const std::string& what) const;

  std::string path_;
  std::string target_;             // path_ with its symlinks followed
  bool target_exists_ = false;
  mode_t target_mode_ = 0;         // the existing target's st_mode
  uid_t target_uid_ = 0;
  gid_t target_gid_ = 0;
  std::string temp_path_;
  int fd_ = -1;
  bool committed_ = false;
  std::uint64_t written_ = 0;      // bytes written so far
  std::uint64_t writeback_to_ = 0; // bytes already handed to the kernel's writeback
};

}  // namespace ember::serialize
