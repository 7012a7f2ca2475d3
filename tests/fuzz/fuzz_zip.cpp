// libFuzzer target: the zip container alone (end records, zip64, central directory, local
// headers, CRC checks). Seeds: tests/fixtures/serialize/*.pt. Run by scripts/fuzz.
#include <cstddef>
#include <cstdint>

#include "ember/serialize/serialize_error.h"
#include "ember/serialize/zip_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    ember::serialize::ZipReader zip(data, size, "fuzz.zip");
    for (const auto& entry : zip.entries()) {
      if (zip.find(entry.name) != &entry) __builtin_trap();
      zip.read(entry);
    }
  } catch (const ember::SerializeError&) {
  }
  return 0;
}
