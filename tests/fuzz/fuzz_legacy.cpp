// libFuzzer target: the legacy .pt reader (header pickles, object pickle read twice, storage
// list, raw storages) on arbitrary bytes, with weights_only=true and false (legacy whole
// models). Anything but a clean SerializeError (a crash, a sanitizer report, another
// exception, a hang) is a bug. Seeds: tests/fixtures/legacy/*.pt. Run by scripts/fuzz.
#include <cstddef>
#include <cstdint>

#include "ember/serialize/legacy_format.h"
#include "ember/serialize/mapped_file.h"
#include "ember/serialize/serialize_error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (bool weights_only : {true, false}) {
    ember::serialize::PickleOptions options;
    options.weights_only = weights_only;
    try {
      auto file = ember::serialize::MappedFile::from_bytes("fuzz.pt", data, size);
      ember::Value v = ember::serialize::load_legacy_pt(file, options);
      (void)v;
    } catch (const ember::SerializeError&) {
    }
  }
  return 0;
}
