// libFuzzer target: safetensors header validation and tensor construction on arbitrary bytes.
// Seeds: tests/fixtures/serialize/tensors.safetensors. Run by scripts/fuzz.
#include <cstddef>
#include <cstdint>

#include "ember/serialize/mapped_file.h"
#include "ember/serialize/safetensors.h"
#include "ember/serialize/serialize_error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto file = ember::serialize::MappedFile::from_bytes("fuzz.safetensors", data, size);
    std::map<std::string, std::string> metadata;
    ember::Value v = ember::serialize::load_safetensors(file, &metadata);
    (void)v;
  } catch (const ember::SerializeError&) {
  }
  return 0;
}
