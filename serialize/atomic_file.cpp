// AtomicFile: temporary file, fsync, rename, fsync of the directory; symlinks followed and
// the replaced file's mode kept.
#include "ember/serialize/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "ember/serialize/serialize_error.h"

namespace ember::serialize {

namespace {
std::string directory_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}
}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  if (path_.empty() || path_.back() == '/') fail("not a file name");
  resolve_target();
  std::random_device random;
  for (int attempt = 0; attempt < 16 && fd_ < 0; ++attempt) {
    std::string dir = directory_of(target_);
    temp_path_ = (dir == "/" ? "" : dir) + "/." + base_name(target_) + ".tmp-" +
                 std::to_string(::getpid()) + "-" + std::to_string(random());
    // 0666 minus the umask: the permissions a plain fopen() would give the file (mkstemp's
    // 0600 would make every new checkpoint private).
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0 && errno != EEXIST) fail("cannot create temporary file '" + temp_path_ + "'");
  }
  if (fd_ < 0) fail("cannot create a temporary file next to it");
  try {
    if (target_exists_) keep_mode_and_owner();
  } catch (...) {
    // A constructor that throws gets no destructor call: clean up here.
    ::close(fd_);
    ::unlink(temp_path_.c_str());
    throw;
  }
}

// Follows path_'s symlinks to the file that open(path_, O_CREAT) would write, as the kernel
// does: a relative link is read from the link's own directory. Directories on the way are left
// to the kernel; only the last component is followed here, because that is what rename()
// would otherwise replace.
void AtomicFile::resolve_target() {
  constexpr int kMaxSymlinks = 40;  // Linux's MAXSYMLINKS: open() gives ELOOP beyond it
  target_ = path_;
  struct stat st {};
  for (int hops = 0;; ++hops) {
    if (::lstat(target_.c_str(), &st) != 0) {
      if (errno != ENOENT) fail("cannot stat '" + target_ + "'");
      break;  // a new file, or the missing end of a dangling link
    }
    if (!S_ISLNK(st.st_mode)) {
      target_exists_ = true;
      break;
    }
    if (hops == kMaxSymlinks) {
      errno = ELOOP;
      fail("more than " + std::to_string(kMaxSymlinks) + " symbolic links to follow, as in a loop");
    }
    std::string link(static_cast<std::size_t>(st.st_size) + 256, '\0');
    ssize_t n = 0;
    while ((n = ::readlink(target_.c_str(), link.data(), link.size())) >= 0 &&
           static_cast<std::size_t>(n) == link.size()) {
      link.resize(2 * link.size());  // st_size can be 0 or stale: grow until it fits
    }
    if (n < 0) fail("cannot read the symbolic link '" + target_ + "'");
    link.resize(static_cast<std::size_t>(n));
    if (link.empty()) {
      errno = ENOENT;
      fail("the symbolic link '" + target_ + "' is empty");
    }
    target_ = link.front() == '/' ? link : directory_of(target_) + "/" + link;
  }
  // Where a link was followed, the message says where it led.
  const std::string via = target_ == path_ ? "" : "symbolic link to '" + target_ + "': ";
  errno = 0;
  if (!target_exists_) {
    struct stat dir {};
    const std::string dir_name = directory_of(target_);
    if (::stat(dir_name.c_str(), &dir) != 0) {
      fail(via + "directory '" + dir_name + "' does not exist");
    }
    if (!S_ISDIR(dir.st_mode)) fail(via + "'" + dir_name + "' is not a directory");
    return;
  }
  if (S_ISDIR(st.st_mode)) fail(via + "is a directory, not a file");
  if (!S_ISREG(st.st_mode)) {
    fail(via + "is not a regular file (a device, FIFO or socket): save replaces files only");
  }
  // torch.save's open("wb") fails on a file without write permission; rename() would not.
  if (::access(target_.c_str(), W_OK) != 0 && errno == EACCES) fail(via + "is not writable");
  target_mode_ = st.st_mode;
  target_uid_ = st.st_uid;
  target_gid_ = st.st_gid;
}

// The replaced file keeps what open("wb") would have kept: owner and group first (changing
// them may clear set-user-ID bits), then the permission bits. Only root may give a file to
// another user, and only a member to another group: elsewhere EPERM, and the file is the
// saver's, as when another user's file is replaced by rename. A file system without Unix
// modes (vfat) refuses fchmod with EPERM too, and there every file has the same mode anyway.
void AtomicFile::keep_mode_and_owner() {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) fail("cannot stat temporary file '" + temp_path_ + "'");
  if ((st.st_uid != target_uid_ || st.st_gid != target_gid_) &&
      ::fchown(fd_, target_uid_, target_gid_) != 0 && errno != EPERM) {
    fail("cannot give temporary file '" + temp_path_ + "' the owner of '" + target_ + "'");
  }
  if (::fchmod(fd_, target_mode_ & 07777) != 0 && errno != EPERM) {
    fail("cannot give temporary file '" + temp_path_ + "' the mode of '" + target_ + "'");
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void AtomicFile::fail(const std::string& what) const {
  std::string reason = what;
  if (errno != 0) reason += std::string(" (") + std::strerror(errno) + ")";
  throw SerializeError("save", path_, "", reason);
}

// Why saving streams: left alone, the kernel keeps a whole checkpoint as dirty pages in memory
// and writes it out only when forced, all at once: by fsync, or (without fsync) by ext4 at the
// rename over an existing file, which flushes the new file first. For a 400 MB state_dict that
// stall cost as much as the writing itself. Starting writeback of each 8 MiB as soon as it is
// written (sync_file_range does not wait) overlaps the disk with the copying of the rest, so the
// final fsync or rename finds almost nothing left to do. bench/serialize_bench.py, 400 MB on
// the 2-core machine: 0.40-0.42 s -> 0.29-0.33 s with fsync, 0.43-0.57 s -> 0.32-0.34 s without.
namespace {
constexpr std::size_t kWritebackChunk = std::size_t{8} << 20;
}

void AtomicFile::write_all(const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    std::size_t chunk = size < kWritebackChunk ? size : kWritebackChunk;
    ssize_t n = ::write(fd_, p, chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("write failed");
    p += n;
    size -= static_cast<std::size_t>(n);
    written_ += static_cast<std::uint64_t>(n);
#ifdef __linux__
    if (written_ - writeback_to_ >= kWritebackChunk) {
      // Only a hint: if it fails (a file system without it), fsync/rename still do the work.
      ::sync_file_range(fd_, static_cast<off_t>(writeback_to_),
                        static_cast<off_t>(written_ - writeback_to_), SYNC_FILE_RANGE_WRITE);
      writeback_to_ = written_;
    }
#endif
  }
}

void AtomicFile::commit(bool durable) {
  errno = 0;
  if (durable && ::fsync(fd_) != 0) fail("fsync failed");
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("close failed");
  if (::rename(temp_path_.c_str(), target_.c_str()) != 0) {
    fail("rename of the temporary file over '" + target_ + "' failed");
  }
  committed_ = true;
  if (!durable) return;
  // Make the rename durable. Some file systems refuse fsync on a directory: not an error.
  int dir = ::open(directory_of(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace ember::serialize
