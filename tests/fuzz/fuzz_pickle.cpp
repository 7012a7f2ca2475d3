// libFuzzer target: the restricted pickle machine on arbitrary bytes, with storages served from
// memory (at most 1 MiB each), in both modes: weights_only=true, and weights_only=false, where
// unknown globals become inert objects that NEWOBJ, REDUCE, BUILD, APPEND and SETITEM act on;
// what comes out is printed, and read as a module tree where it looks like one. Seeds: the
// data.pkl of each fixture, whole models too. Run by scripts/fuzz.
#include <cstddef>
#include <cstdint>

#include "ember/serialize/model_file.h"
#include "ember/serialize/pickle_reader.h"
#include "ember/serialize/serialize_error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto loader = [](const ember::serialize::StorageRef& ref) {
    if (ref.numel > (1 << 20)) throw ember::SerializeError("load", "fuzz.pt", ref.key, "storage too large for the fuzzer");
    auto storage = std::make_shared<ember::Storage>(static_cast<std::size_t>(ref.numel) * ember::element_size(ref.dtype));
    return ember::serialize::StorageSlice{storage, 0, ref.numel};
  };
  for (bool weights_only : {true, false}) {
    ember::serialize::PickleOptions options;
    options.weights_only = weights_only;
    try {
      ember::Value v = ember::serialize::unpickle(data, size, loader, "fuzz.pt", "data.pkl", options);
      (void)ember::python_repr(v);
      if (ember::serialize::is_pickled_module(v)) {
        try {
          (void)ember::serialize::pickled_module_state_dict(v);
        } catch (const ember::Error&) {  // a module tree with a malformed entry, named
        }
      }
    } catch (const ember::SerializeError&) {
    }
  }
  return 0;
}
