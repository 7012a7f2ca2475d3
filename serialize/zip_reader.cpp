// ZipReader: end records, zip64, central directory, local headers, all bounds-checked; stored
// and deflate entries. Layout reference: PKWARE APPNOTE.TXT 4.3.7-9, 4.3.12, 4.3.14-16, 4.4.5, 4.5.3.
#include "ember/serialize/zip_reader.h"

#include <cstdio>
#include <cstring>

#include "ember/serialize/crc32.h"
#include "ember/serialize/inflate.h"
#include "ember/serialize/serialize_error.h"

namespace ember::serialize {

namespace {
constexpr std::uint32_t kMax32 = 0xFFFFFFFFu;

std::uint16_t get16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint32_t get32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
std::uint64_t get64(const std::uint8_t* p) {
  return static_cast<std::uint64_t>(get32(p)) | (static_cast<std::uint64_t>(get32(p + 4)) << 32);
}
std::string hex32(std::uint32_t v) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "0x%08x", v);
  return buffer;
}
// APPNOTE 4.4.5's compression methods, for the message that refuses one.
const char* method_name(std::uint16_t method) {
  switch (method) {
    case 1: return "shrink";
    case 2: case 3: case 4: case 5: return "reduce";
    case 6: return "implode";
    case 9: return "deflate64";
    case 10: return "PKWARE DCL implode";
    case 12: return "bzip2";
    case 14: return "lzma";
    case 18: return "IBM TERSE";
    case 19: return "IBM LZ77";
    case 93: return "zstd";
    case 94: return "MP3";
    case 95: return "xz";
    case 96: return "JPEG";
    case 97: return "WavPack";
    case 98: return "PPMd";
    case 99: return "AES encryption";
    default: return "unknown";
  }
}
}  // namespace

bool ZipReader::looks_like_zip(const std::uint8_t* data, std::size_t size) {
  return size >= 4 && data[0] == 'P' && data[1] == 'K' &&
         ((data[2] == 3 && data[3] == 4) || (data[2] == 5 && data[3] == 6));
}

void ZipReader::fail(const std::string& entry, const std::string& reason) const {
  throw SerializeError("load", file_, entry, reason);
}

ZipReader::ZipReader(const std::uint8_t* data, std::size_t size, std::string file, ZipLimits limits)
    : data_(data), size_(size), file_(std::move(file)), limits_(limits) {
  std::uint64_t count = 0, cd_offset = 0, cd_size = 0, cd_limit = 0;
  read_end_records(count, cd_offset, cd_size, cd_limit);
  if (cd_offset > cd_limit || cd_size > cd_limit - cd_offset) {
    fail("", "zip central directory lies outside the archive (truncated or corrupted file)");
  }
  // Each central header takes at least 46 bytes: a larger count is a lie, not an allocation.
  if (count > cd_size / 46) fail("", "zip central directory claims " + std::to_string(count) +
                                         " entries in " + std::to_string(cd_size) + " bytes");
  entries_.reserve(static_cast<std::size_t>(count));
  cd_offset_ = cd_offset;
  std::uint64_t pos = cd_offset;
  for (std::uint64_t i = 0; i < count; ++i) pos = read_central_entry(pos, cd_offset + cd_size);
}

void ZipReader::read_end_records(std::uint64_t& count, std::uint64_t& cd_offset,
                                 std::uint64_t& cd_size, std::uint64_t& cd_limit) const {
  if (size_ < 22) fail("", "file too short to be a zip archive (" + std::to_string(size_) + " bytes)");
  // The end record sits at the end, followed only by a comment of at most 65535 bytes.
  std::size_t eocd = size_;
  std::size_t lowest = size_ - 22 > 65535 ? size_ - 22 - 65535 : 0;
  for (std::size_t p = size_ - 22 + 1; p-- > lowest;) {
    if (get32(data_ + p) == 0x06054b50 && p + 22 + get16(data_ + p + 20) <= size_) {
      eocd = p;
      break;
    }
  }
  if (eocd == size_) fail("", "no zip end-of-central-directory record (truncated or not a zip file)");
  const std::uint8_t* e = data_ + eocd;
  if (get16(e + 4) != 0 || get16(e + 6) != 0) fail("", "multi-disk zip archives are not supported");
  count = get16(e + 10);
  cd_size = get32(e + 12);
  cd_offset = get32(e + 16);
  cd_limit = eocd;
  const bool needs_zip64 = count == 0xFFFF || cd_size == kMax32 || cd_offset == kMax32;
  if (eocd < 20 || get32(data_ + eocd - 20) != 0x07064b50) {
    if (needs_zip64) fail("", "zip64 end-of-central-directory locator missing");
    return;
  }
  const std::uint64_t record = get64(data_ + eocd - 20 + 8);
  if (record > eocd - 20 || eocd - 20 - record < 56 || get32(data_ + record) != 0x06064b50) {
    fail("", "zip64 end-of-central-directory record missing or outside the archive");
  }
  const std::uint8_t* z = data_ + record;
  count = get64(z + 32);
  cd_size = get64(z + 40);
  cd_offset = get64(z + 48);
  cd_limit = record;
}

std::uint64_t ZipReader::read_central_entry(std::uint64_t pos, std::uint64_t cd_end) {
  if (pos > cd_end || cd_end - pos < 46 || get32(data_ + pos) != 0x02014b50) {
    fail("", "zip central directory is corrupted (bad header at offset " + std::to_string(pos) + ")");
  }
  const std::uint8_t* h = data_ + pos;
  const std::uint16_t flags = get16(h + 8), method = get16(h + 10);
  const std::uint16_t name_len = get16(h + 28), extra_len = get16(h + 30), comment_len = get16(h + 32);
  const std::uint64_t next = pos + 46 + name_len + extra_len + comment_len;
  if (next > cd_end) fail("", "zip central directory is truncated");
  Entry entry;
  entry.name.assign(reinterpret_cast<const char*>(h + 46), name_len);
  entry.crc = get32(h + 16);
  std::uint64_t compressed = get32(h + 20), size = get32(h + 24), offset = get32(h + 42);
  // Zip64 extra field: 64-bit values for exactly those fields that hold 0xFFFFFFFF, in order.
  const std::uint8_t* x = h + 46 + name_len;
  for (std::uint32_t i = 0; i + 4 <= extra_len;) {
    const std::uint16_t id = get16(x + i), len = get16(x + i + 2);
    if (i + 4 + len > extra_len) fail(entry.name, "zip extra field overruns its header");
    if (id == 0x0001) {
      std::uint32_t at = i + 4, end = i + 4 + len;
      for (std::uint64_t* field : {&size, &compressed, &offset}) {
        if (*field != kMax32) continue;
        if (at + 8 > end) fail(entry.name, "zip64 extra field too short");
        *field = get64(x + at);
        at += 8;
      }
    }
    i += 4 + len;
  }
  entry.size = size;
  entry.compressed_size = compressed;
  entry.method = method;
  check_method(entry, flags);
  locate_data(entry, offset);
  if (index_.count(entry.name)) fail(entry.name, "duplicate entry name in zip archive");
  index_.emplace(entry.name, entries_.size());
  entries_.push_back(std::move(entry));
  return next;
}

void ZipReader::check_method(const Entry& entry, std::uint16_t flags) {
  if (flags & 1) fail(entry.name, "entry is encrypted");
  if (entry.method == 0) {
    if (entry.compressed_size != entry.size) fail(entry.name, "stored entry with different compressed and plain sizes");
    return;
  }
  if (entry.method != 8) {
    fail(entry.name, "compression method " + std::to_string(entry.method) + " (" + method_name(entry.method) +
                         ") is not supported; ember reads stored (0) and deflate (8) entries");
  }
  // The limits, before a byte is inflated: a zip bomb is refused by what it declares, and
  // inflating is then held to the declared size.
  const std::string size = std::to_string(entry.size) + " bytes";
  if (entry.size > limits_.max_entry_size) {
    fail(entry.name, "entry inflates to " + size + ", more than the limit of " +
                         std::to_string(limits_.max_entry_size) + " (ZipLimits::max_entry_size)");
  }
  if ((limits_.max_ratio != 0 && entry.size / limits_.max_ratio > entry.compressed_size) ||
      (entry.compressed_size == 0 && entry.size > 0)) {
    fail(entry.name, "entry inflates " + std::to_string(entry.compressed_size) + " bytes to " + size +
                         ", a ratio beyond the limit of " + std::to_string(limits_.max_ratio) +
                         ":1 (ZipLimits::max_ratio); refused as a likely zip bomb");
  }
  inflated_total_ += entry.size;
  if (inflated_total_ > limits_.max_total_size) {
    fail(entry.name, "the compressed entries up to this one inflate to " + std::to_string(inflated_total_) +
                         " bytes, more than the limit of " + std::to_string(limits_.max_total_size) +
                         " (ZipLimits::max_total_size)");
  }
}

void ZipReader::locate_data(Entry& entry, std::uint64_t header_offset) const {
  // Every entry's header and data must lie before the central directory.
  const std::uint64_t end = cd_offset_;
  if (header_offset > end || end - header_offset < 30 || get32(data_ + header_offset) != 0x04034b50) {
    fail(entry.name, "local header at offset " + std::to_string(header_offset) +
                         " is missing or outside the archive");
  }
  const std::uint8_t* h = data_ + header_offset;
  const std::uint64_t start = header_offset + 30 + get16(h + 26) + get16(h + 28);
  if (start > end || entry.compressed_size > end - start) {
    fail(entry.name, "entry data (" + std::to_string(entry.compressed_size) + " bytes at offset " +
                         std::to_string(start) + ") extends past the archive's data (which ends at " +
                         std::to_string(end) + ")");
  }
  entry.data_offset = start;
}

const ZipReader::Entry* ZipReader::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

void ZipReader::check_crc(const Entry& entry, const std::uint8_t* bytes) const {
  const std::uint32_t computed = crc32(bytes, static_cast<std::size_t>(entry.size));
  if (computed != entry.crc) {
    fail(entry.name, "CRC-32 mismatch (stored " + hex32(entry.crc) + ", computed " + hex32(computed) +
                         "): the file is corrupted");
  }
}

const std::uint8_t* ZipReader::read(const Entry& entry) const {
  if (entry.compressed()) {
    fail(entry.name, "entry is compressed (deflate): ZipReader::read gives stored entries in place, "
                     "extract() inflates the others");
  }
  const std::uint8_t* p = data_ + entry.data_offset;
  check_crc(entry, p);
  return p;
}

void ZipReader::extract_to(const Entry& entry, std::uint8_t* out) const {
  if (!entry.compressed()) {
    if (entry.size > 0) std::memcpy(out, read(entry), static_cast<std::size_t>(entry.size));
    return;
  }
  const std::string reason = inflate_raw(data_ + entry.data_offset, entry.compressed_size, out, entry.size);
  if (!reason.empty()) fail(entry.name, reason);
  check_crc(entry, out);
}

std::vector<std::uint8_t> ZipReader::extract(const Entry& entry) const {
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(entry.size));
  extract_to(entry, bytes.data());
  return bytes;
}

std::vector<std::uint8_t> ZipReader::extract(const std::string& name) const {
  const Entry* entry = find(name);
  if (entry == nullptr) fail(name, "no such entry in the zip archive");
  return extract(*entry);
}

}  // namespace ember::serialize
