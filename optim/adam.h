// Adam (Kingma & Ba, 2014), step for step as torch.optim.Adam (PyTorch 1.13, single-tensor
// path), with weight decay, amsgrad and maximize.
// https://pytorch.org/docs/1.13/generated/torch.optim.Adam.html
#pragma once

#include <optional>
#include <utility>

#include "optim/optimizer.h"

namespace ember::optim {

// Adam's hyperparameters: AdamOptions(1e-3).betas({0.9, 0.999}).amsgrad(true).
class AdamOptions : public OptimizerOptions {
 public:
  explicit AdamOptions(double lr = 1e-3) : lr_(lr) {}

  AdamOptions& lr(double v) { lr_ = v; return *this; }
  AdamOptions& betas(std::pair<double, double> v) { betas_ = v; return *this; }
  AdamOptions& eps(double v) { eps_ = v; return *this; }
  AdamOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  AdamOptions& amsgrad(bool v) { amsgrad_ = v; return *this; }
  AdamOptions& maximize(bool v) { maximize_ = v; return *this; }
  // Stored and saved for PyTorch; ember always runs the single-tensor CPU algorithm, whose
  // numbers capturable/differentiable/fused do not change.
  AdamOptions& foreach(std::optional<bool> v) { foreach_ = v; return *this; }
  AdamOptions& capturable(bool v) { capturable_ = v; return *this; }
  AdamOptions& differentiable(bool v) { differentiable_ = v; return *this; }
  AdamOptions& fused(bool v) { fused_ = v; return *this; }

  double lr() const { return lr_; }
  std::pair<double, double> betas() const { return betas_; }
  double eps() const { return eps_; }
  double weight_decay() const { return weight_decay_; }
  bool amsgrad() const { return amsgrad_; }
  bool maximize() const { return maximize_; }
  std::optional<bool> foreach() const { return foreach_; }
  bool capturable() const { return capturable_; }
  bool differentiable() const { return differentiable_; }
  bool fused() const { return fused_; }

  std::unique_ptr<OptimizerOptions> clone() const override;
  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  void write(Value& group) const override;
  void read(const Value& group, const std::string& where) override;
  std::vector<std::string> keys() const override;

 private:
  double lr_;
  std::pair<double, double> betas_{0.9, 0.999};
  double eps_ = 1e-8;
  double weight_decay_ = 0.0;
  bool amsgrad_ = false;
  bool maximize_ = false;
  std::optional<bool> foreach_;
  bool capturable_ = false;
  bool differentiable_ = false;
  bool fused_ = false;
};

// The state of Adam and AdamW: the step count as a 0-d float32 tensor (as PyTorch >= 1.12
// stores it), the moving averages of the gradient and its square, and with amsgrad their
// running maximum.
struct AdamParamState : ParamState {
  Tensor step;
  Tensor exp_avg;
  Tensor exp_avg_sq;
  Tensor max_exp_avg_sq;  // undefined unless amsgrad
  Value to_value() const override;
};

// Each step, for every parameter p with gradient g, t counting its steps:
//   g = -g if maximize;  g += weight_decay * p          (AdamW instead: p *= 1 - lr * wd)
//   m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g^2
//   v_hat = amsgrad ? (v_max = max(v_max, v)) : v
//   p -= lr / (1 - beta1^t) * m / (sqrt(v_hat) / sqrt(1 - beta2^t) + eps)
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, const AdamOptions& defaults = AdamOptions());
  Adam(std::vector<ParamGroup> groups, const AdamOptions& defaults = AdamOptions());

  void step() override;

 protected:
  void validate(const OptimizerOptions& options) const override;
  std::unique_ptr<ParamState> state_from_value(const Value& entry, const Tensor& param,
                                               const OptimizerOptions& group_options,
                                               const std::string& where) const override;
};

namespace detail {

// The hyperparameters of one Adam or AdamW update.
struct AdamStep {
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad, maximize;
  bool decoupled_weight_decay;  // AdamW
};
// Updates param in place from its grad, creating the state on the first step.
void adam_update(Tensor& param, const Tensor& grad, AdamParamState& state, const AdamStep& h);
// Checks the ranges Adam and AdamW share ("Invalid beta parameter at index 0: 1").
void check_adam_hyperparameters(double lr, double eps, std::pair<double, double> betas,
                                double weight_decay);
// Reads an Adam/AdamW state entry, copying its tensors.
std::unique_ptr<ParamState> adam_state_from_value(const Value& entry, const Tensor& param,
                                                  bool amsgrad, const std::string& where);
// Reads group["betas"] (a tuple or list of two numbers).
std::pair<double, double> read_betas(const Value& group, const std::string& where);

}  // namespace detail

}  // namespace ember::optim
