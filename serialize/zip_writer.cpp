// ZipWriter: local headers with 64-byte aligned data, central directory, zip64 when needed.
// Layout reference: PKWARE APPNOTE.TXT sections 4.3.7 (local header), 4.3.12 (central
// directory), 4.3.14-16 (zip64 end records), 4.5.3 (zip64 extra field).
#include "ember/serialize/zip_writer.h"

#include "ember/serialize/crc32.h"
#include "ember/tensor/error.h"

namespace ember::serialize {

namespace {
constexpr std::uint32_t kMax32 = 0xFFFFFFFFu;
constexpr std::uint16_t kDosDate = 0x21;  // 1980-01-01: a fixed date keeps files reproducible

void put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>(v >> 8));
}
void put32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
std::uint32_t clamp32(std::uint64_t v, bool zip64) {
  return zip64 ? kMax32 : static_cast<std::uint32_t>(v);
}
}  // namespace

ZipWriter::ZipWriter(Sink sink, bool force_zip64) : sink_(std::move(sink)), force_zip64_(force_zip64) {}

void ZipWriter::emit(const std::string& bytes) {
  sink_(bytes.data(), bytes.size());
  position_ += bytes.size();
}

void ZipWriter::add(const std::string& name, const void* data, std::size_t size) {
  check(!finished_, "ZipWriter::add: the archive is already finished");
  check(name.size() < 0xFFFF, "ZipWriter::add: entry name too long");
  const std::uint32_t crc = crc32(data, size);
  const bool zip64 = force_zip64_ || size >= kMax32;
  std::string extra;
  if (zip64) {  // local zip64 extra: both sizes
    put16(extra, 0x0001);
    put16(extra, 16);
    put64(extra, size);
    put64(extra, size);
  }
  // 'FB' padding block: the data begins right after header + name + extra.
  std::uint64_t data_start = position_ + 30 + name.size() + extra.size() + 4;
  std::size_t pad = static_cast<std::size_t>((kAlignment - data_start % kAlignment) % kAlignment);
  put16(extra, 0x4246);  // "FB"
  put16(extra, static_cast<std::uint16_t>(pad));
  extra.append(pad, 'Z');

  std::string header;
  put32(header, 0x04034b50);
  put16(header, zip64 ? 45 : 20);  // version needed to extract
  put16(header, 0);  // flags
  put16(header, 0);  // stored
  put16(header, 0);  // time
  put16(header, kDosDate);
  put32(header, crc);
  put32(header, clamp32(size, zip64));
  put32(header, clamp32(size, zip64));
  put16(header, static_cast<std::uint16_t>(name.size()));
  put16(header, static_cast<std::uint16_t>(extra.size()));
  header += name;
  header += extra;
  entries_.push_back({name, position_, size, crc});
  emit(header);
  if (size > 0) sink_(data, size);
  position_ += size;
}

void ZipWriter::write_central_directory() {
  const std::uint64_t cd_offset = position_;
  std::string cd;
  for (const Entry& e : entries_) {
    const bool big_size = force_zip64_ || e.size >= kMax32;
    const bool big_offset = force_zip64_ || e.offset >= kMax32;
    std::string extra;
    if (big_size || big_offset) {
      put16(extra, 0x0001);
      put16(extra, static_cast<std::uint16_t>((big_size ? 16 : 0) + (big_offset ? 8 : 0)));
      if (big_size) {
        put64(extra, e.size);
        put64(extra, e.size);
      }
      if (big_offset) put64(extra, e.offset);
    }
    put32(cd, 0x02014b50);
    put16(cd, 45);  // made by
    put16(cd, (big_size || big_offset) ? 45 : 20);
    put16(cd, 0);
    put16(cd, 0);
    put16(cd, 0);
    put16(cd, kDosDate);
    put32(cd, e.crc);
    put32(cd, clamp32(e.size, big_size));
    put32(cd, clamp32(e.size, big_size));
    put16(cd, static_cast<std::uint16_t>(e.name.size()));
    put16(cd, static_cast<std::uint16_t>(extra.size()));
    put16(cd, 0);  // comment
    put16(cd, 0);  // disk
    put16(cd, 0);  // internal attributes
    put32(cd, 0);  // external attributes
    put32(cd, clamp32(e.offset, big_offset));
    cd += e.name;
    cd += extra;
  }
  emit(cd);
  const std::uint64_t cd_size = cd.size();
  const std::uint64_t count = entries_.size();
  const bool zip64_end = force_zip64_ || count >= 0xFFFF || cd_offset >= kMax32 || cd_size >= kMax32;
  std::string end;
  if (zip64_end) {
    const std::uint64_t record_offset = position_;
    put32(end, 0x06064b50);  // zip64 end of central directory record
    put64(end, 44);
    put16(end, 45);
    put16(end, 45);
    put32(end, 0);
    put32(end, 0);
    put64(end, count);
    put64(end, count);
    put64(end, cd_size);
    put64(end, cd_offset);
    put32(end, 0x07064b50);  // zip64 end of central directory locator
    put32(end, 0);
    put64(end, record_offset);
    put32(end, 1);
  }
  put32(end, 0x06054b50);
  put16(end, 0);
  put16(end, 0);
  put16(end, zip64_end ? 0xFFFF : static_cast<std::uint16_t>(count));
  put16(end, zip64_end ? 0xFFFF : static_cast<std::uint16_t>(count));
  put32(end, clamp32(cd_size, zip64_end));
  put32(end, clamp32(cd_offset, zip64_end));
  put16(end, 0);  // comment length
  emit(end);
}

void ZipWriter::finish() {
  check(!finished_, "ZipWriter::finish: called twice");
  write_central_directory();
  finished_ = true;
}

}  // namespace ember::serialize
