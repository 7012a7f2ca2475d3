// MappedFile: open, fstat, mmap read-only with the pages read ahead, then allow writes.
#include "ember/serialize/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "ember/serialize/serialize_error.h"

namespace ember::serialize {

namespace {
std::uint8_t empty_byte = 0;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw SerializeError("load", path, "", what + " (" + std::strerror(errno) + ")");
}
}  // namespace

std::shared_ptr<MappedFile> MappedFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, "cannot open file");
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    ::close(fd);
    fail(path, "cannot stat file");
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    errno = EINVAL;
    fail(path, "not a regular file");
  }
  std::shared_ptr<MappedFile> file(new MappedFile());
  file->path_ = path;
  file->size_ = static_cast<std::size_t>(info.st_size);
  if (file->size_ == 0) {
    ::close(fd);
    file->data_ = &empty_byte;
    return file;
  }
  // Mapping read-only lets MAP_POPULATE read the file in ahead without copying the pages;
  // mprotect then allows copy-on-write for tensors a caller modifies in place.
  void* p = ::mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) fail(path, "cannot map file");
  if (::mprotect(p, file->size_, PROT_READ | PROT_WRITE) != 0) {
    ::munmap(p, file->size_);
    fail(path, "cannot map file");
  }
  file->data_ = static_cast<std::uint8_t*>(p);
  file->mapped_ = true;
  return file;
}

std::shared_ptr<MappedFile> MappedFile::from_bytes(const std::string& name, const void* data, std::size_t size) {
  std::shared_ptr<MappedFile> file(new MappedFile());
  file->path_ = name;
  file->size_ = size;
  // 64-byte aligned like a mapping, so aligned records are shared, not copied, here too.
  void* copy = std::aligned_alloc(64, (size + 64) / 64 * 64);
  if (copy == nullptr) throw SerializeError("load", name, "", "out of memory");
  if (size) std::memcpy(copy, data, size);
  file->data_ = static_cast<std::uint8_t*>(copy);
  file->owned_ = true;
  return file;
}

MappedFile::~MappedFile() {
  if (mapped_) ::munmap(data_, size_);
  if (owned_) std::free(data_);
}

}  // namespace ember::serialize
