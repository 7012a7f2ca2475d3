// unpickle: a restricted pickle machine that turns torch.save's data.pkl into a Value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "ember/core/value.h"
#include "ember/tensor/storage.h"

namespace ember::serialize {

// A storage persistent id as torch.save writes it (torch/serialization.py persistent_id):
// ('storage', torch.<Type>Storage, key, location, numel), and in the legacy format a sixth
// field, view_metadata: None, or (view_key, offset, numel) for a view of part of the storage
// (PyTorch before 1.0 wrote those).
struct StorageRef {
  std::string key;
  Dtype dtype = Dtype::float32;
  std::int64_t numel = 0;
  std::string location;  // "cpu", "cuda:0", "mps", ...: ember loads every storage to the CPU
  bool is_view = false;
  std::string view_key;
  std::int64_t view_offset = 0;  // elements of dtype
  std::int64_t view_numel = 0;
};

// The elements [offset, offset + numel) of storage that a StorageRef stands for: the whole
// storage, or the part a view covers (views share their root's Storage, as in PyTorch).
struct StorageSlice {
  std::shared_ptr<Storage> storage;
  std::int64_t offset = 0;
  std::int64_t numel = 0;
};

// Called once per storage persistent id the pickle names (again for each further tensor
// sharing it; the callee caches). Throws SerializeError if the storage is missing or has the
// wrong size.
using StorageLoader = std::function<StorageSlice(const StorageRef& ref)>;

// Limits that keep hostile input from exhausting the stack or memory.
struct PickleLimits {
  std::size_t max_depth = 256;           // nesting of dicts/lists/tuples in the result
  std::size_t max_stack = 1u << 20;      // entries on the pickle stack
  std::size_t max_marks = 1u << 16;      // open MARKs
  std::size_t max_objects = 16u << 20;   // objects built in all (each costs ~150 bytes)
};

struct PickleOptions {
  // true: PyTorch's torch.load(weights_only=True): only the globals of is_known_global
  // (pickle_globals.h); any other is refused with a message saying what it is.
  // false: any other global becomes an inert reference, and REDUCE, NEWOBJ and BUILD on one
  // make a Value::Kind::object that records the call instead of making it (a whole model's
  // modules, a checkpoint's argparse.Namespace). Quantized and sparse tensors stay refused.
  // TorchScript's typed containers, torch.jit._pickle.build_intlist(list) and its kin and
  // restore_type_tag(value, type), read as the container they return.
  bool weights_only = true;
  PickleLimits limits;
};

// Runs the pickle machine over [data, data + size). It executes nothing and imports nothing,
// in either mode: known globals (collections.OrderedDict, the torch._utils rebuild functions,
// torch.nn.Parameter, the torch.<Type>Storage classes) are recognised by name and REDUCE,
// NEWOBJ and BUILD only do what those would; anything else is refused or, with
// weights_only=false, kept as structure. A memo entry is a reference (BINGET gives the same
// object), so tensors that share a storage come back as views of one Storage.
//
// Reads protocols 2 to 5 (the opcodes of CPython's pickle.py that torch.save can produce).
// Errors throw SerializeError("load", file, entry, "... at byte N"). If end is given, it
// receives the offset just past STOP (the legacy format puts several pickles in a row).
Value unpickle(const std::uint8_t* data, std::size_t size, const StorageLoader& load_storage,
               const std::string& file, const std::string& entry, const PickleOptions& options,
               std::size_t* end = nullptr);
// The same with weights_only=true.
Value unpickle(const std::uint8_t* data, std::size_t size, const StorageLoader& load_storage,
               const std::string& file, const std::string& entry,
               const PickleLimits& limits = PickleLimits(), std::size_t* end = nullptr);

}  // namespace ember::serialize
