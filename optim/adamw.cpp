// AdamW: options, state_dict keys, and the step, which reuses Adam's loop with decoupled
// weight decay (_single_tensor_adamw in torch/optim/adamw.py, PyTorch 1.13).
#include "optim/adamw.h"

#include "tensor/autograd.h"

namespace ember::optim {

std::unique_ptr<OptimizerOptions> AdamWOptions::clone() const {
  return std::make_unique<AdamWOptions>(*this);
}

void AdamWOptions::write(Value& group) const {
  group.set("lr", lr_);
  group.set("betas", Value::tuple({betas_.first, betas_.second}));
  group.set("eps", eps_);
  group.set("weight_decay", detail::number_or_int_zero(weight_decay_));
  group.set("amsgrad", amsgrad_);
  group.set("foreach", foreach_ ? Value(*foreach_) : Value());
  group.set("maximize", maximize_);
  group.set("capturable", capturable_);
}

void AdamWOptions::read(const Value& group, const std::string& where) {
  lr_ = detail::read_number(group, "lr", where);
  betas_ = detail::read_betas(group, where);
  eps_ = detail::read_number(group, "eps", where);
  weight_decay_ = detail::read_number(group, "weight_decay", where);
  // AdamW.__setstate__ fills these in for checkpoints of older PyTorch versions.
  amsgrad_ = detail::read_bool_or(group, "amsgrad", false, where);
  foreach_ = detail::read_optional_bool_or(group, "foreach", std::nullopt, where);
  maximize_ = detail::read_bool_or(group, "maximize", false, where);
  capturable_ = detail::read_bool_or(group, "capturable", false, where);
}

std::vector<std::string> AdamWOptions::keys() const {
  return {"lr", "betas", "eps", "weight_decay", "amsgrad", "foreach", "maximize", "capturable"};
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& defaults)
    : AdamW(std::vector<ParamGroup>{ParamGroup(std::move(params))}, defaults) {}

AdamW::AdamW(std::vector<ParamGroup> groups, const AdamWOptions& defaults)
    : Optimizer("AdamW", defaults.clone()) {
  add_param_groups(std::move(groups));
}

void AdamW::validate(const OptimizerOptions& options) const {
  const auto& o = static_cast<const AdamWOptions&>(options);
  detail::check_adam_hyperparameters(o.lr(), o.eps(), o.betas(), o.weight_decay());
}

std::unique_ptr<ParamState> AdamW::state_from_value(const Value& entry, const Tensor& param,
                                                    const OptimizerOptions& group_options,
                                                    const std::string& where) const {
  const auto& o = static_cast<const AdamWOptions&>(group_options);
  return detail::adam_state_from_value(entry, param, o.amsgrad(), where);
}

void AdamW::step() {
  NoGradGuard no_grad;
  for (ParamGroup& group : param_groups()) {
    const auto& o = static_cast<const AdamWOptions&>(*group.options);
    const detail::AdamStep h{o.lr(),       o.betas().first, o.betas().second,
                             o.eps(),      o.weight_decay(), o.amsgrad(),
                             o.maximize(), true};
    for (Tensor& param : group.params) {
      const Tensor grad = param.grad();
      if (!grad.defined()) continue;
      auto* state = &state_or_create<AdamParamState>(param);
      detail::adam_update(param, grad, *state, h);
    }
  }
}

}  // namespace ember::optim
