// The allowlists of torch/_weights_only_unpickler.py (_get_allowed_globals): PyTorch 1.13's as
// installed here, and 2.6's, whose defaults add Counter, set, bytearray, _codecs.encode and
// torch.device, more dtypes, the quantization schemes and more rebuild functions.
#include "tests/weights_only_globals.h"

#include <algorithm>
#include <initializer_list>

namespace ember::test {

namespace {

bool one_of(const std::string& s, std::initializer_list<const char*> names) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return s == n; });
}

struct StorageName {
  const char* name;
  std::uint64_t element_size;
};
// torch._storage_classes: the legacy typed storages, on the CPU (module torch) and on CUDA
// (module torch.cuda, which lacks the quantized ones).
constexpr StorageName kStorages[] = {
    {"DoubleStorage", 8}, {"FloatStorage", 4},    {"HalfStorage", 2},         {"BFloat16Storage", 2},
    {"LongStorage", 8},   {"IntStorage", 4},      {"ShortStorage", 2},        {"CharStorage", 1},
    {"ByteStorage", 1},   {"BoolStorage", 1},     {"ComplexDoubleStorage", 16}, {"ComplexFloatStorage", 8},
    {"QUInt8Storage", 1}, {"QInt8Storage", 1},    {"QInt32Storage", 4},       {"QUInt4x2Storage", 1},
    {"QUInt2x4Storage", 1},
};

bool is_tensor_class(const std::string& module, const std::string& name) {
  // torch._tensor_classes: torch.<T>Tensor, torch.cuda.<T>Tensor, and the sparse ones (no Bool).
  const bool dense = one_of(name, {"DoubleTensor", "FloatTensor", "HalfTensor", "BFloat16Tensor",
                                   "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
                                   "ByteTensor", "BoolTensor"});
  if (module == "torch" || module == "torch.cuda") return dense;
  if (module == "torch.sparse" || module == "torch.cuda.sparse") return dense && name != "BoolTensor";
  return false;
}

bool is_dtype(const std::string& name, TorchRules rules) {
  if (one_of(name, {"complex32", "complex64", "complex128", "float16", "float32", "float64", "int8",
                    "int16", "int32", "int64"})) {
    return true;
  }
  // 2.6 takes every dtype that has a storage type, and the newer ones.
  return rules == TorchRules::pytorch_2_6 &&
         one_of(name, {"bfloat16", "uint8", "bool", "quint8", "qint8", "qint32", "quint4x2",
                       "quint2x4", "uint16", "uint32", "uint64", "float8_e5m2", "float8_e4m3fn",
                       "float8_e5m2fnuz", "float8_e4m3fnuz", "bits8", "bits16", "bits1x8",
                       "bits2x4", "bits4x2"});
}

GlobalInfo kind(GlobalKind k) { return GlobalInfo{k, 0, false, ""}; }

}  // namespace

GlobalInfo classify_global(const std::string& module_in, const std::string& name, TorchRules rules) {
  const std::string module = module_in == "__builtin__" ? "builtins" : module_in;
  const bool v26 = rules == TorchRules::pytorch_2_6;
  const std::string full = module + "." + name;
  if (v26 && one_of(module, {"sys", "os", "posix", "nt"})) {
    return GlobalInfo{GlobalKind::refused, 0, false, "GLOBAL " + full + ": its module " + module + " is blocked"};
  }
  if (full == "collections.OrderedDict") return kind(GlobalKind::ordered_dict);
  if (full == "torch.nn.parameter.Parameter") return kind(GlobalKind::parameter);
  if (full == "torch.serialization._get_layout") return kind(GlobalKind::layout);
  if (full == "torch.Size") return kind(GlobalKind::size);
  if (full == "torch.Tensor" || is_tensor_class(module, name)) return kind(GlobalKind::tensor_class);
  if (full == "torch.storage.UntypedStorage") return GlobalInfo{GlobalKind::untyped_storage, 1, false, ""};
  if (full == "torch.storage.TypedStorage") return kind(GlobalKind::typed_storage);
  if (module == "torch" && is_dtype(name, rules)) return kind(GlobalKind::dtype);
  if (module == "torch" || module == "torch.cuda") {
    const bool quantized = !name.empty() && name[0] == 'Q';
    const bool floating = one_of(name, {"DoubleStorage", "FloatStorage", "HalfStorage", "BFloat16Storage",
                                        "ComplexDoubleStorage", "ComplexFloatStorage"});
    for (const StorageName& s : kStorages) {
      if (name == s.name && !(module == "torch.cuda" && quantized)) {
        return GlobalInfo{GlobalKind::storage_class, s.element_size, floating, ""};
      }
    }
  }
  if (full == "torch._utils._rebuild_tensor_v2") return kind(GlobalKind::rebuild_tensor_v2);
  if (full == "torch._utils._rebuild_parameter") return kind(GlobalKind::rebuild_parameter);
  if (module == "torch._utils" &&
      one_of(name, {"_rebuild_tensor", "_rebuild_sparse_tensor", "_rebuild_meta_tensor_no_storage"})) {
    return kind(GlobalKind::rebuild_other);
  }
  if (!v26) {
    if (full == "torch._utils._rebuild_sparse_csr_tensor") return kind(GlobalKind::rebuild_other);
  } else {
    if (full == "collections.Counter") return kind(GlobalKind::counter);
    if (full == "builtins.set") return kind(GlobalKind::set);
    if (full == "builtins.bytearray") return kind(GlobalKind::bytearray);
    if (full == "_codecs.encode") return kind(GlobalKind::codecs_encode);
    if (full == "torch.device") return kind(GlobalKind::device);
    if (module == "torch" && one_of(name, {"per_tensor_affine", "per_tensor_symmetric", "per_channel_affine",
                                           "per_channel_symmetric", "per_channel_affine_float_qparams"})) {
      return kind(GlobalKind::qscheme);
    }
    if (full == "torch._tensor._rebuild_from_type_v2") return kind(GlobalKind::rebuild_other);
    if (module == "torch._utils" &&
        one_of(name, {"_rebuild_parameter_with_state", "_rebuild_qtensor", "_rebuild_tensor_v3",
                      "_rebuild_wrapper_subclass", "_rebuild_device_tensor_from_numpy"})) {
      return kind(GlobalKind::rebuild_other);
    }
  }
  return GlobalInfo{GlobalKind::refused, 0, false,
                    "GLOBAL " + full + " is not an allowed global" +
                        (v26 ? " (torch.serialization.add_safe_globals would be needed)" : "")};
}

}  // namespace ember::test
