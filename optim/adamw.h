// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2017), step for step as
// torch.optim.AdamW (PyTorch 1.13, single-tensor path).
// https://pytorch.org/docs/1.13/generated/torch.optim.AdamW.html
#pragma once

#include <optional>
#include <utility>

#include "optim/adam.h"

namespace ember::optim {

// AdamW's hyperparameters. They differ from Adam's in the weight_decay default (1e-2) and in
// the keys PyTorch 1.13 saves (no differentiable or fused, foreach before maximize).
class AdamWOptions : public OptimizerOptions {
 public:
  explicit AdamWOptions(double lr = 1e-3) : lr_(lr) {}

  AdamWOptions& lr(double v) { lr_ = v; return *this; }
  AdamWOptions& betas(std::pair<double, double> v) { betas_ = v; return *this; }
  AdamWOptions& eps(double v) { eps_ = v; return *this; }
  AdamWOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  AdamWOptions& amsgrad(bool v) { amsgrad_ = v; return *this; }
  AdamWOptions& maximize(bool v) { maximize_ = v; return *this; }
  AdamWOptions& foreach(std::optional<bool> v) { foreach_ = v; return *this; }
  AdamWOptions& capturable(bool v) { capturable_ = v; return *this; }

  double lr() const { return lr_; }
  std::pair<double, double> betas() const { return betas_; }
  double eps() const { return eps_; }
  double weight_decay() const { return weight_decay_; }
  bool amsgrad() const { return amsgrad_; }
  bool maximize() const { return maximize_; }
  std::optional<bool> foreach() const { return foreach_; }
  bool capturable() const { return capturable_; }

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
  double weight_decay_ = 1e-2;
  bool amsgrad_ = false;
  bool maximize_ = false;
  std::optional<bool> foreach_;
  bool capturable_ = false;
};

// Adam's update with the weight decay applied to the parameter instead of the gradient:
//   p *= 1 - lr * weight_decay, then Adam's step without weight decay. State as Adam's.
class AdamW : public Optimizer {
 public:
  AdamW(std::vector<Tensor> params, const AdamWOptions& defaults = AdamWOptions());
  AdamW(std::vector<ParamGroup> groups, const AdamWOptions& defaults = AdamWOptions());

  void step() override;

 protected:
  void validate(const OptimizerOptions& options) const override;
  std::unique_ptr<ParamState> state_from_value(const Value& entry, const Tensor& param,
                                               const OptimizerOptions& group_options,
                                               const std::string& where) const override;
};

}  // namespace ember::optim
