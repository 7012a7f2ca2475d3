// CRC-32 in parallel chunks joined with zlib's crc32_combine.
#include "ember/serialize/crc32.h"

#include <zlib.h>

#include <vector>

namespace ember::serialize {

std::uint32_t crc32(const void* data, std::size_t size) {
  const auto* bytes = static_cast<const Bytef*>(data);
  constexpr std::size_t kChunk = std::size_t{8} << 20;  // 8 MiB
  if (size <= 2 * kChunk) return static_cast<std::uint32_t>(::crc32_z(0, bytes, size));
  const std::size_t chunks = (size + kChunk - 1) / kChunk;
  std::vector<uLong> crcs(chunks);
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(chunks); ++i) {
    std::size_t begin = static_cast<std::size_t>(i) * kChunk;
    std::size_t length = begin + kChunk <= size ? kChunk : size - begin;
    crcs[static_cast<std::size_t>(i)] = ::crc32_z(0, bytes + begin, length);
  }
  uLong crc = crcs[0];
  for (std::size_t i = 1; i < chunks; ++i) {
    std::size_t length = i + 1 < chunks ? kChunk : size - i * kChunk;
    crc = ::crc32_combine(crc, crcs[i], static_cast<z_off_t>(length));
  }
  return static_cast<std::uint32_t>(crc);
}

}  // namespace ember::serialize
