// Loss modules: options checked in the constructor, the math in the functional forms.
#include "ember/nn/loss.h"

#include "ember/nn/functional.h"

namespace ember::nn {

CrossEntropyLoss::CrossEntropyLoss(const CrossEntropyLossOptions& opts) : options(opts) {
  check(options.label_smoothing() >= 0.0 && options.label_smoothing() <= 1.0,
        "CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0. Got: ",
        options.label_smoothing());
  if (options.weight().defined()) options.weight(register_buffer("weight", options.weight()));
}

Tensor CrossEntropyLoss::forward(const Tensor& input, const Tensor& target) {
  return functional::cross_entropy(input, target, options);
}

NLLLoss::NLLLoss(const NLLLossOptions& opts) : options(opts) {
  if (options.weight().defined()) options.weight(register_buffer("weight", options.weight()));
}

Tensor NLLLoss::forward(const Tensor& input, const Tensor& target) {
  return functional::nll_loss(input, target, options);
}

Tensor MSELoss::forward(const Tensor& input, const Tensor& target) {
  return functional::mse_loss(input, target, options);
}

}  // namespace ember::nn
