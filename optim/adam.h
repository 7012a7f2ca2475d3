// Adam (Kingma & Ba, 2014) and AdamW (Loshchilov & Hutter, 2017), step for step as
// torch.optim.Adam and torch.optim.AdamW (PyTorch 1.13, single-tensor path), with weight decay,
// amsgrad and maximize. The two differ only in where the weight decay goes, so they are one
// class template over that choice.
// https://pytorch.org/docs/1.13/generated/torch.optim.Adam.html
// https://pytorch.org/docs/1.13/generated/torch.optim.AdamW.html
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ember/core/arg.h"
#include "ember/optim/optimizer.h"

namespace ember::optim {

// Adam adds weight_decay * p to the gradient (L2 regularisation, which the moments then
// rescale); AdamW decays the parameter itself, p *= 1 - lr * weight_decay.
enum class WeightDecay { coupled, decoupled };

// Adam's (beta1, beta2).
using Betas = std::pair<double, double>;

// The hyperparameters of Adam and AdamW: AdamOptions(1e-3).betas({0.9, 0.999}).amsgrad(true).
// AdamW's weight_decay defaults to 1e-2, Adam's to 0.
template <WeightDecay Decay>
struct BasicAdamOptions {
  explicit BasicAdamOptions(double lr = 1e-3) : lr_(lr) {}

  // Throws Error if out of range ("Invalid beta parameter at index 0: 1").
  void validate() const;
  // The keys of the param_group, in PyTorch's order (Adam's and AdamW's differ).
  static const std::vector<OptionKey<BasicAdamOptions>>& keys();

  EMBER_ARG(double, lr);
  EMBER_ARG(Betas, betas) = {0.9, 0.999};
  EMBER_ARG(double, eps) = 1e-8;
  EMBER_ARG(double, weight_decay) = Decay == WeightDecay::decoupled ? 1e-2 : 0.0;
  EMBER_ARG(bool, amsgrad) = false;
  EMBER_ARG(bool, maximize) = false;
  // Stored and saved for PyTorch; ember always runs the single-tensor CPU algorithm, whose
  // numbers capturable/differentiable/fused do not change. PyTorch 1.13's AdamW has no
  // differentiable or fused, so its keys leave them out.
  EMBER_ARG(std::optional<bool>, foreach);
  EMBER_ARG(bool, capturable) = false;
  EMBER_ARG(bool, differentiable) = false;
  EMBER_ARG(bool, fused) = false;
};

using AdamOptions = BasicAdamOptions<WeightDecay::coupled>;
using AdamWOptions = BasicAdamOptions<WeightDecay::decoupled>;

// The state of Adam and AdamW: the step count as a 0-d float32 tensor (as PyTorch >= 1.12
// stores it), the moving averages of the gradient and its square, and with amsgrad their
// running maximum.
struct AdamParamState {
  Tensor step;
  Tensor exp_avg;
  Tensor exp_avg_sq;
  Tensor max_exp_avg_sq;  // undefined unless amsgrad

  Value to_value() const;
  static AdamParamState from_value(const Value& entry, const Tensor& param, bool amsgrad,
                                   const std::string& where);
  template <WeightDecay Decay>
  static AdamParamState from_value(const Value& entry, const Tensor& param,
                                   const BasicAdamOptions<Decay>& group,
                                   const std::string& where) {
    return from_value(entry, param, group.amsgrad(), where);
  }
};

// Each step, for every parameter p with gradient g, t counting its steps:
//   g = -g if maximize;  g += weight_decay * p          (AdamW instead: p *= 1 - lr * wd)
//   m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g^2
//   v_hat = amsgrad ? (v_max = max(v_max, v)) : v
//   p -= lr / (1 - beta1^t) * m / (sqrt(v_hat) / sqrt(1 - beta2^t) + eps)
template <WeightDecay Decay>
class BasicAdam : public OptimizerBase<BasicAdamOptions<Decay>, AdamParamState> {
 public:
  using Options = BasicAdamOptions<Decay>;
  using ParamGroup = optim::ParamGroup<Options>;

  BasicAdam(std::vector<Tensor> params, const Options& defaults = Options());
  BasicAdam(std::vector<ParamGroup> groups, const Options& defaults = Options());

  void step() override;
};

using Adam = BasicAdam<WeightDecay::coupled>;
using AdamW = BasicAdam<WeightDecay::decoupled>;

}  // namespace ember::optim
