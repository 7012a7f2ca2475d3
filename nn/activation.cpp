// Activation modules, and F::relu. The math (and each backward) lives in tensor/unary.cpp and
// nn/softmax.cpp; these classes only make it a layer.
#include "ember/nn/activation.h"

#include "ember/nn/functional.h"
#include "ember/tensor/ops.h"

namespace ember::nn {

Tensor functional::relu(const Tensor& input) { return ember::relu(input); }

Tensor ReLU::forward(const Tensor& input) { return functional::relu(input); }
Tensor Tanh::forward(const Tensor& input) { return ember::tanh(input); }
Tensor Sigmoid::forward(const Tensor& input) { return ember::sigmoid(input); }
Tensor Softmax::forward(const Tensor& input) { return functional::softmax(input, options.dim()); }
Tensor LogSoftmax::forward(const Tensor& input) {
  return functional::log_softmax(input, options.dim());
}

}  // namespace ember::nn
