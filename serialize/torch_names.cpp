// Name tables for PyTorch's storage classes and safetensors' dtype codes.
#include "ember/serialize/torch_names.h"

#include <utility>

namespace ember::serialize {

namespace {
struct Names {
  Dtype dtype;
  const char* storage;
  const char* safetensors;
};
// torch/_utils.py and torch/storage.py for the classes; the safetensors spec for the codes.
constexpr Names kNames[] = {
    {Dtype::float32, "FloatStorage", "F32"},   {Dtype::float64, "DoubleStorage", "F64"},
    {Dtype::float16, "HalfStorage", "F16"},    {Dtype::bfloat16, "BFloat16Storage", "BF16"},
    {Dtype::int64, "LongStorage", "I64"},      {Dtype::int32, "IntStorage", "I32"},
    {Dtype::int16, "ShortStorage", "I16"},     {Dtype::int8, "CharStorage", "I8"},
    {Dtype::uint8, "ByteStorage", "U8"},       {Dtype::boolean, "BoolStorage", "BOOL"},
};
}  // namespace

const char* storage_class_name(Dtype dtype) {
  for (const Names& n : kNames) {
    if (n.dtype == dtype) return n.storage;
  }
  return "?";
}

bool dtype_from_storage_class(const std::string& name, Dtype* dtype) {
  for (const Names& n : kNames) {
    if (name == n.storage) {
      *dtype = n.dtype;
      return true;
    }
  }
  return false;
}

const char* unsupported_storage_dtype(const std::string& name) {
  // torch/storage.py _dtype_to_storage_type_map; the quantized classes are reached only
  // through torch._utils._rebuild_qtensor, which is refused before its storage is named.
  if (name == "ComplexFloatStorage") return "torch.complex64";
  if (name == "ComplexDoubleStorage") return "torch.complex128";
  return nullptr;
}

const char* safetensors_dtype_name(Dtype dtype) {
  for (const Names& n : kNames) {
    if (n.dtype == dtype) return n.safetensors;
  }
  return "?";
}

bool dtype_from_safetensors_name(const std::string& name, Dtype* dtype) {
  for (const Names& n : kNames) {
    if (name == n.safetensors) {
      *dtype = n.dtype;
      return true;
    }
  }
  return false;
}

}  // namespace ember::serialize
