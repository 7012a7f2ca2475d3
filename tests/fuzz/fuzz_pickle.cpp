// libFuzzer target: the restricted pickle machine on arbitrary bytes, with storages served from
// memory (at most 1 MiB each). Seeds: the data.pkl of each fixture. Run by scripts/fuzz.
#include <cstddef>
#include <cstdint>

#include "ember/serialize/pickle_reader.h"
#include "ember/serialize/serialize_error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto loader = [](const ember::serialize::StorageRef& ref) {
    if (ref.numel > (1 << 20)) throw ember::SerializeError("load", "fuzz.pt", ref.key, "storage too large for the fuzzer");
    auto storage = std::make_shared<ember::Storage>(static_cast<std::size_t>(ref.numel) * ember::element_size(ref.dtype));
    return ember::serialize::StorageSlice{storage, 0, ref.numel};
  };
  try {
    ember::Value v = ember::serialize::unpickle(data, size, loader, "fuzz.pt", "data.pkl");
    (void)v;
  } catch (const ember::SerializeError&) {
  }
  return 0;
}
