// SGD: stochastic gradient descent with momentum, dampening, Nesterov momentum, weight decay
// and maximize, step for step as torch.optim.SGD (PyTorch 1.13, single-tensor path).
// https://pytorch.org/docs/1.13/generated/torch.optim.SGD.html
#pragma once

#include <optional>
#include <vector>

#include "ember/optim/optimizer.h"

namespace ember::optim {

// SGD's hyperparameters: SGDOptions(0.01).momentum(0.9).nesterov(true).
class SGDOptions {
 public:
  explicit SGDOptions(double lr) : lr_(lr) {}

  SGDOptions& lr(double v) { lr_ = v; return *this; }
  SGDOptions& momentum(double v) { momentum_ = v; return *this; }
  SGDOptions& dampening(double v) { dampening_ = v; return *this; }
  SGDOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  SGDOptions& nesterov(bool v) { nesterov_ = v; return *this; }
  SGDOptions& maximize(bool v) { maximize_ = v; return *this; }
  // Stored and saved for PyTorch; ember always runs the single-tensor algorithm.
  SGDOptions& foreach(std::optional<bool> v) { foreach_ = v; return *this; }
  SGDOptions& differentiable(bool v) { differentiable_ = v; return *this; }

  double lr() const { return lr_; }
  double momentum() const { return momentum_; }
  double dampening() const { return dampening_; }
  double weight_decay() const { return weight_decay_; }
  bool nesterov() const { return nesterov_; }
  bool maximize() const { return maximize_; }
  std::optional<bool> foreach() const { return foreach_; }
  bool differentiable() const { return differentiable_; }

  // Throws Error if out of range ("Invalid learning rate: -0.1").
  void validate() const;
  // The keys of SGD's param_group, in PyTorch's order.
  static const std::vector<OptionKey<SGDOptions>>& keys();

 private:
  double lr_;
  double momentum_ = 0.0;
  double dampening_ = 0.0;
  double weight_decay_ = 0.0;
  bool nesterov_ = false;
  bool maximize_ = false;
  std::optional<bool> foreach_;
  bool differentiable_ = false;
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
