// Raw deflate via zlib's inflate (windowBits -15: no zlib or gzip header, as in zip entries),
// fed in chunks because zlib's counters are 32-bit.
#include "ember/serialize/inflate.h"

#include <zlib.h>

#include <algorithm>

namespace ember::serialize {

namespace {
constexpr std::uint64_t kChunk = std::uint64_t{1} << 30;

// Ends the stream on every return path.
struct InflateStream {
  z_stream z{};
  bool open = false;
  ~InflateStream() {
    if (open) inflateEnd(&z);
  }
};
}  // namespace

std::string inflate_raw(const std::uint8_t* in, std::uint64_t in_size, std::uint8_t* out,
                        std::uint64_t out_size) {
  InflateStream s;
  if (inflateInit2(&s.z, -MAX_WBITS) != Z_OK) return "zlib could not start inflating";
  s.open = true;
  s.z.next_in = const_cast<Bytef*>(in);  // zlib's API is not const-correct; it only reads it
  s.z.next_out = out;
  std::uint64_t in_left = in_size, out_left = out_size;
  std::uint8_t spare = 0;  // room for one byte past out_size: any byte there is one too many
  bool at_spare = false;
  for (;;) {
    if (s.z.avail_in == 0 && in_left > 0) {
      s.z.avail_in = static_cast<uInt>(std::min(kChunk, in_left));
      in_left -= s.z.avail_in;
    }
    if (s.z.avail_out == 0 && !at_spare) {
      if (out_left > 0) {
        s.z.avail_out = static_cast<uInt>(std::min(kChunk, out_left));
        out_left -= s.z.avail_out;
      } else {
        s.z.next_out = &spare;
        s.z.avail_out = 1;
        at_spare = true;
      }
    }
    const int status = inflate(&s.z, Z_NO_FLUSH);
    if (at_spare && s.z.avail_out == 0) {
      return "inflates to more than the " + std::to_string(out_size) + " bytes the zip directory declares";
    }
    if (status == Z_STREAM_END) break;
    if (status == Z_DATA_ERROR || status == Z_NEED_DICT) {
      return std::string("the deflate stream is corrupted (zlib: ") + (s.z.msg ? s.z.msg : "invalid data") + ")";
    }
    if (status == Z_MEM_ERROR) return "zlib ran out of memory";
    // Z_BUF_ERROR: no progress, which with output room left means the input has run out.
    if (status == Z_BUF_ERROR) {
      if (s.z.avail_in == 0 && in_left == 0) {
        return "the deflate stream is truncated: its " + std::to_string(in_size) +
               " compressed bytes end before its last block";
      }
      return "zlib's inflate made no progress";
    }
  }
  const std::uint64_t produced = s.z.total_out, consumed = s.z.total_in;
  if (produced != out_size) {
    return "inflates to " + std::to_string(produced) + " bytes, not the " + std::to_string(out_size) +
           " the zip directory declares";
  }
  if (consumed != in_size) {
    return "the deflate stream ends after " + std::to_string(consumed) + " of its " + std::to_string(in_size) +
           " compressed bytes";
  }
  return "";
}

}  // namespace ember::serialize
