// CRC-32 (the zip polynomial) of large buffers, using zlib's crc32 on all cores.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ember::serialize {

// zlib's crc32 over [data, data + size). Buffers above a few MiB are cut into chunks whose
// CRCs are computed in parallel (OpenMP) and joined with crc32_combine, so checking a
// checkpoint's records keeps up with reading them.
std::uint32_t crc32(const void* data, std::size_t size);

}  // namespace ember::serialize
