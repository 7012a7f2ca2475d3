// SGD: stochastic gradient descent with momentum, dampening, Nesterov momentum, weight decay
// and maximize, step for step as torch.optim.SGD (PyTorch 1.13, single-tensor path).
// https://pytorch.org/docs/1.13/generated/torch.optim.SGD.html
#pragma once

#include <optional>
#include <vector>

#include "ember/core/arg.h"
#include "ember/optim/optimizer.h"

namespace ember::optim {

// SGD's hyperparameters: SGDOptions(0.01).momentum(0.9).nesterov(true).
struct SGDOptions {
  explicit SGDOptions(double lr) : lr_(lr) {}

  // Throws Error if out of range ("Invalid learning rate: -0.1").
  void validate() const;
  // The keys of SGD's param_group, in PyTorch's order.
  static const std::vector<OptionKey<SGDOptions>>& keys();

  EMBER_ARG(double, lr);
  EMBER_ARG(double, momentum) = 0.0;
  EMBER_ARG(double, dampening) = 0.0;
  EMBER_ARG(double, weight_decay) = 0.0;
  EMBER_ARG(bool, nesterov) = false;
  EMBER_ARG(bool, maximize) = false;
  // Stored and saved for PyTorch; ember always runs the single-tensor algorithm.
  EMBER_ARG(std::optional<bool>, foreach);
  EMBER_ARG(bool, differentiable) = false;
};

// state["momentum_buffer"]: undefined (None) until the first step with momentum.
struct SGDParamState {
  Tensor momentum_buffer;

  Value to_value() const;
  static SGDParamState from_value(const Value& entry, const Tensor& param,
                                  const SGDOptions& group, const std::string& where);
};

// Each step, for every parameter p with a gradient g (see the PyTorch page for the math):
//   g = -g if maximize;  g += weight_decay * p
//   b = g (first step) or momentum * b + (1 - dampening) * g;  g = nesterov ? g + momentum * b : b
//   p -= lr * g
class SGD : public OptimizerBase<SGDOptions, SGDParamState> {
 public:
  SGD(std::vector<Tensor> params, const SGDOptions& defaults);
  SGD(std::vector<ParamGroup> groups, const SGDOptions& defaults);

  void step() override;
};

}  // namespace ember::optim
