// The names PyTorch files use for dtypes: storage classes in .pt pickles, codes in safetensors.
#pragma once

#include <string>

#include "ember/tensor/dtype.h"

namespace ember::serialize {

// "FloatStorage", "LongStorage", ... (the class after "torch." in a pickle GLOBAL).
const char* storage_class_name(Dtype dtype);
// Inverse of storage_class_name; false for a name ember does not know.
bool dtype_from_storage_class(const std::string& name, Dtype* dtype);
// The PyTorch dtype of a storage class that ember has no dtype for ("ComplexFloatStorage" ->
// "torch.complex64"), so that the refusal can say what the file holds; nullptr otherwise.
const char* unsupported_storage_dtype(const std::string& name);

// safetensors dtype codes: "F32", "I64", "BOOL", ...
const char* safetensors_dtype_name(Dtype dtype);
bool dtype_from_safetensors_name(const std::string& name, Dtype* dtype);

}  // namespace ember::serialize
