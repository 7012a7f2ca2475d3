// libFuzzer target: the zip container alone (end records, zip64, central directory, local
// headers, CRC checks) and the inflating of deflate entries. Seeds: tests/fixtures/serialize/*.pt
// and tests/fixtures/zip/*. Run by scripts/fuzz.
#include <cstddef>
#include <cstdint>

#include "ember/serialize/serialize_error.h"
#include "ember/serialize/zip_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Limits small enough that a claimed size never costs the fuzzer real memory.
  ember::serialize::ZipLimits limits;
  limits.max_entry_size = 1 << 20;
  limits.max_total_size = 8 << 20;
  try {
    ember::serialize::ZipReader zip(data, size, "fuzz.zip", limits);
    for (const auto& entry : zip.entries()) {
      if (zip.find(entry.name) != &entry) __builtin_trap();
      if (!entry.compressed()) {
        zip.read(entry);
        continue;
      }
      try {
        if (zip.extract(entry).size() != entry.size) __builtin_trap();
      } catch (const ember::SerializeError&) {  // one bad entry: go on to the next
      }
    }
  } catch (const ember::SerializeError&) {
  }
  return 0;
}
