// Flatten: a layer around Tensor::flatten (whose backward reshapes the gradient back).
#include "ember/nn/flatten.h"

namespace ember::nn {

Tensor Flatten::forward(const Tensor& input) {
  return input.flatten(options.start_dim(), options.end_dim());
}

std::string Flatten::extra_repr() const {
  return str("start_dim=", options.start_dim(), ", end_dim=", options.end_dim());
}

}  // namespace ember::nn
