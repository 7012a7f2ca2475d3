// read_file_bytes through zlib's gz* API, which passes plain files through unchanged.
#include "ember/data/file_bytes.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <sys/stat.h>

#include "ember/tensor/error.h"

namespace ember::data {

std::vector<std::uint8_t> read_file_bytes(const std::string& path) {
  errno = 0;
  std::unique_ptr<gzFile_s, decltype(&gzclose)> file(gzopen(path.c_str(), "rb"), &gzclose);
  check(file != nullptr, path, ": cannot open: ", errno ? std::strerror(errno) : "out of memory");
  gzbuffer(file.get(), 1 << 20);  // fewer, larger reads than zlib's 8 KiB default

  std::vector<std::uint8_t> bytes;
  constexpr unsigned kChunk = 1u << 22;
  for (;;) {
    const std::size_t old_size = bytes.size();
    bytes.resize(old_size + kChunk);
    const int got = gzread(file.get(), bytes.data() + old_size, kChunk);
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(file.get(), &code);
      // Z_BUF_ERROR: the stream ends early. Keep what was decompressed; the format's reader
      // then says how much was expected and how much was found.
      check(code == Z_BUF_ERROR, path, ": damaged gzip data: ", message);
      bytes.resize(old_size);
      break;
    }
    bytes.resize(old_size + static_cast<std::size_t>(got));
    if (got == 0) break;
  }
  return bytes;
}

std::string first_existing_file(const std::vector<std::string>& candidates) {
  for (const std::string& path : candidates) {
    struct stat info {};
    if (stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode)) return path;
  }
  return "";
}

}  // namespace ember::data
