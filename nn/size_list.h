// Internal: a list of sizes as PyTorch's C++ messages print it ("[2, 3]"), for the checks that
// copy ATen's wording; ember's own messages write shapes as Python tuples (tensor/error.h).
#pragma once

#include <sstream>
#include <string>

#include "ember/tensor/tensor.h"

namespace ember::nn::detail {

inline std::string bracket_list(const Shape& shape) {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

}  // namespace ember::nn::detail
