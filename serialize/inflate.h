// inflate_raw: a raw deflate stream (RFC 1951, as zip stores it) through zlib, into a buffer
// whose size the caller already knows.
#pragma once

#include <cstdint>
#include <string>

namespace ember::serialize {

// Inflates the in_size bytes at in into exactly out_size bytes at out. Returns "" on success,
// otherwise why not, for a message: the stream is corrupted (with zlib's reason), ends before
// its last block (truncated), holds more or fewer than out_size bytes, or ends before its
// in_size bytes do. Never writes past out + out_size, whatever the stream claims.
std::string inflate_raw(const std::uint8_t* in, std::uint64_t in_size, std::uint8_t* out,
                        std::uint64_t out_size);

}  // namespace ember::serialize
