// Parsing and naming PyTorch's reduction strings.
#include "ember/nn/reduction.h"

#include "ember/tensor/error.h"

namespace ember::nn {

Reduction::Reduction(const std::string& name) {
  if (name == "none") kind_ = none;
  else if (name == "mean") kind_ = mean;
  else if (name == "sum") kind_ = sum;
  else
    throw Error(str(name, " is not a valid value for reduction (expected 'none', 'mean' or 'sum')"));
}

const char* Reduction::name() const {
  switch (kind_) {
    case none: return "none";
    case mean: return "mean";
    case sum: return "sum";
  }
  return "mean";
}

}  // namespace ember::nn
