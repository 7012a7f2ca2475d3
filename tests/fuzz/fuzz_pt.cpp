// libFuzzer target: a whole .pt load (zip container, CRCs, pickle, storages) on arbitrary bytes.
// Anything but a clean SerializeError (a crash, a sanitizer report, another exception, a hang)
// is a bug. Seeds: tests/fixtures/serialize/*.pt. Run by scripts/fuzz.
#include <cstddef>
#include <cstdint>

#include "ember/serialize/mapped_file.h"
#include "ember/serialize/pt_format.h"
#include "ember/serialize/serialize_error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto file = ember::serialize::MappedFile::from_bytes("fuzz.pt", data, size);
    ember::Value v = ember::serialize::load_pt(file);
    (void)v;
  } catch (const ember::SerializeError&) {
  }
  return 0;
}
