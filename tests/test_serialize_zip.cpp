// ZipReader on archives that other zip writers make (fixtures from scripts/make_zip_fixtures.py,
// Python's zipfile): deflate entries inflated and CRC-checked, data descriptors, compression
// methods refused by name, damaged streams, and the zip-bomb limits.
#include <doctest/doctest.h>

#include "ember/serialize/serialize.h"
#include "ember/serialize/zip_reader.h"
#include "tests/test_serialize_helpers.h"

using namespace ember;
using serialize::ZipLimits;
using serialize::ZipReader;
using doctest::Contains;

namespace {

std::string zip_fixture(const std::string& name) {
  return test::read_file(std::string(EMBER_SOURCE_DIR) + "/tests/fixtures/zip/" + name);
}

// What make_zip_fixtures.py's lines(n) writes: "line 0\n" ... "line n-1\n".
std::string lines(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += "line " + std::to_string(i) + "\n";
  return out;
}

std::string text(const std::vector<std::uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); }

const std::uint8_t* bytes_of(const std::string& s) { return reinterpret_cast<const std::uint8_t*>(s.data()); }

// The offset of name's central directory header in zip.
std::size_t central_header(const std::string& zip, const std::string& name) {
  for (std::size_t at = zip.find("PK\x01\x02"); at != std::string::npos; at = zip.find("PK\x01\x02", at + 4)) {
    if (zip.compare(at + 46, name.size(), name) == 0) return at;
  }
  FAIL("no central header for ", name);
  return 0;
}

void put32(std::string& zip, std::size_t at, std::uint32_t v) {
  for (int k = 0; k < 4; ++k) zip[at + k] = static_cast<char>((v >> (8 * k)) & 0xFF);
}

// Extracts name from the archive bytes, for the damage tests.
std::string extract(const std::string& zip, const std::string& name, const ZipLimits& limits = ZipLimits()) {
  ZipReader reader(bytes_of(zip), zip.size(), "damaged.zip", limits);
  return text(reader.extract(name));
}

}  // namespace

TEST_CASE("zip: deflate entries inflate to their bytes; stored entries stay where they are") {
  const std::string zip = zip_fixture("deflate.zip");
  ZipReader reader(bytes_of(zip), zip.size(), "deflate.zip");
  const ZipReader::Entry* deflated = reader.find("archive/lines.txt");
  const ZipReader::Entry* stored = reader.find("archive/lines_stored.txt");
  REQUIRE(deflated != nullptr);
  REQUIRE(stored != nullptr);
  CHECK(deflated->method == 8);
  CHECK(deflated->compressed());
  CHECK(deflated->size == lines(1000).size());
  CHECK(deflated->compressed_size < deflated->size / 3);
  CHECK(text(reader.extract(*deflated)) == lines(1000));
  CHECK_FALSE(stored->compressed());
  CHECK(stored->compressed_size == stored->size);
  // A stored entry is read in place, zero copy; extract() copies it.
  CHECK(reader.read(*stored) == bytes_of(zip) + stored->data_offset);
  CHECK(text(reader.extract(*stored)) == lines(1000));
  CHECK(text(reader.extract("archive/empty.txt")).empty());
  CHECK(text(reader.extract("archive/many_lines.txt")) == lines(20000));
  CHECK_THROWS_WITH_AS(reader.read(*deflated),
                       "load: 'deflate.zip', entry 'archive/lines.txt': entry is compressed (deflate): "
                       "ZipReader::read gives stored entries in place, extract() inflates the others",
                       SerializeError);
  CHECK_THROWS_WITH_AS(reader.extract("archive/nope"),
                       "load: 'deflate.zip', entry 'archive/nope': no such entry in the zip archive", SerializeError);
}

TEST_CASE("zip: entries followed by data descriptors (a zip written to a stream)") {
  const std::string zip = zip_fixture("descriptor.zip");
  ZipReader reader(bytes_of(zip), zip.size(), "descriptor.zip");
  REQUIRE(reader.entries().size() == 2);
  // Bit 3: the local header's CRC and sizes are zeros; the central directory has them.
  CHECK((zip[6] & 8) == 8);
  CHECK(text(reader.extract("archive/lines.txt")) == lines(1000));
  CHECK(text(reader.extract("archive/few_lines.txt")) == lines(10));
}

TEST_CASE("zip: other compression methods are refused by name") {
  for (const auto& [file, message] :
       {std::pair<std::string, std::string>{"bzip2.zip", "compression method 12 (bzip2) is not supported"},
        {"lzma.zip", "compression method 14 (lzma) is not supported"}}) {
    const std::string zip = zip_fixture(file);
    CHECK_THROWS_WITH_AS(ZipReader(bytes_of(zip), zip.size(), file),
                         ("load: '" + file + "', entry 'archive/lines.txt': " + message +
                          "; ember reads stored (0) and deflate (8) entries").c_str(),
                         SerializeError);
  }
}

TEST_CASE("zip: damaged deflate entries: CRC, truncated or corrupted stream, wrong sizes") {
  const std::string good = zip_fixture("deflate.zip");
  const std::string name = "archive/lines.txt";
  const std::size_t cd = central_header(good, name);
  const std::string prefix = "load: 'damaged.zip', entry 'archive/lines.txt': ";
  ZipReader reader(bytes_of(good), good.size(), "deflate.zip");
  const ZipReader::Entry entry = *reader.find(name);  // 8890 bytes from 1953

  std::string bad = good;
  put32(bad, cd + 16, entry.crc ^ 1);
  CHECK_THROWS_WITH_AS(extract(bad, name), Contains((prefix + "CRC-32 mismatch").c_str()), SerializeError);

  bad = good;
  put32(bad, cd + 20, 1000);  // the compressed size cut short
  CHECK_THROWS_WITH_AS(extract(bad, name),
                       (prefix + "the deflate stream is truncated: its 1000 compressed bytes end before its last "
                                 "block").c_str(),
                       SerializeError);

  bad = good;
  bad[entry.data_offset] = '\xff';  // block type 3, which deflate does not have
  CHECK_THROWS_WITH_AS(extract(bad, name), (prefix + "the deflate stream is corrupted (zlib: invalid block type)").c_str(),
                       SerializeError);

  bad = good;
  put32(bad, cd + 24, 8889);  // declared one byte short: inflating stops there
  CHECK_THROWS_WITH_AS(extract(bad, name),
                       (prefix + "inflates to more than the 8889 bytes the zip directory declares").c_str(),
                       SerializeError);
  bad = good;
  put32(bad, cd + 24, 8891);
  CHECK_THROWS_WITH_AS(extract(bad, name),
                       (prefix + "inflates to 8890 bytes, not the 8891 the zip directory declares").c_str(),
                       SerializeError);
  bad = good;
  put32(bad, cd + 20, 1958);  // five bytes of the next header counted as the entry's
  CHECK_THROWS_WITH_AS(extract(bad, name),
                       (prefix + "the deflate stream ends after 1953 of its 1958 compressed bytes").c_str(),
                       SerializeError);
  bad = good;
  put32(bad, cd + 20, static_cast<std::uint32_t>(good.size()));
  CHECK_THROWS_WITH_AS(extract(bad, name), Contains("extends past the archive's data"), SerializeError);
}

TEST_CASE("zip: the zip-bomb limits refuse what the directory declares, before inflating") {
  const std::string bomb = zip_fixture("bomb.zip");
  CHECK_THROWS_WITH_AS(ZipReader(bytes_of(bomb), bomb.size(), "bomb.zip"),
                       "load: 'bomb.zip', entry 'archive/zeros': entry inflates 20387 bytes to 20971520 bytes, a "
                       "ratio beyond the limit of 1000:1 (ZipLimits::max_ratio); refused as a likely zip bomb",
                       SerializeError);
  ZipLimits generous;
  generous.max_ratio = 2000;
  const std::vector<std::uint8_t> zeros = ZipReader(bytes_of(bomb), bomb.size(), "bomb.zip", generous).extract("archive/zeros");
  CHECK(zeros == std::vector<std::uint8_t>(20 << 20, 0));

  const std::string zip = zip_fixture("deflate.zip");
  ZipLimits small_entries;
  small_entries.max_entry_size = 8000;
  CHECK_THROWS_WITH_AS(ZipReader(bytes_of(zip), zip.size(), "deflate.zip", small_entries),
                       "load: 'deflate.zip', entry 'archive/lines.txt': entry inflates to 8890 bytes, more than the "
                       "limit of 8000 (ZipLimits::max_entry_size)",
                       SerializeError);
  ZipLimits small_total;
  small_total.max_total_size = 100000;  // lines.txt fits, many_lines.txt (208890 bytes) does not
  CHECK_THROWS_WITH_AS(ZipReader(bytes_of(zip), zip.size(), "deflate.zip", small_total),
                       "load: 'deflate.zip', entry 'archive/many_lines.txt': the compressed entries up to this one "
                       "inflate to 217780 bytes, more than the limit of 100000 (ZipLimits::max_total_size)",
                       SerializeError);
  // Stored entries count against no limit: they take their own size in the file.
  small_entries.max_entry_size = 0;
  small_entries.max_total_size = 0;
  const std::string stored_only = test::read_file(test::fixture("state_dict.pt"));
  CHECK_NOTHROW(ZipReader(bytes_of(stored_only), stored_only.size(), "state_dict.pt", small_entries));
}

TEST_CASE("zip: a torch.save file re-zipped with deflate loads as the original") {
  const std::string path = std::string(EMBER_SOURCE_DIR) + "/tests/fixtures/zip/state_dict_deflated.pt";
  const Value loaded = load(path);
  test::check_matches(loaded, test::expected_json()["state_dict"], "state_dict_deflated.pt");
  // The inflated storages are ember's own: 64-byte aligned, writable, outliving the reader.
  const Tensor& weight = loaded.at("conv1.weight").as_tensor();
  CHECK(reinterpret_cast<std::uintptr_t>(weight.storage()->data()) % 64 == 0);
}
