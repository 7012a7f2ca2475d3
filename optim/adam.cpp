// Adam's update, one fused loop per parameter, following _single_tensor_adam in
// torch/optim/adam.py (PyTorch 1.13) operation for operation. AdamW shares the loop.
#include "optim/for_chunks.h"
#include "optim/adam.h"

#include <algorithm>
#include <cmath>

#include "tensor/autograd.h"
#include "tensor/dispatch.h"
#include "tensor/factories.h"

namespace ember::optim {

// ---- options -----------------------------------------------------------------------------------

std::unique_ptr<OptimizerOptions> AdamOptions::clone() const {
  return std::make_unique<AdamOptions>(*this);
}

void AdamOptions::write(Value& group) const {
  group.set("lr", lr_);
  group.set("betas", Value::tuple({betas_.first, betas_.second}));
  group.set("eps", eps_);
  group.set("weight_decay", detail::number_or_int_zero(weight_decay_));
  group.set("amsgrad", amsgrad_);
  group.set("maximize", maximize_);
  group.set("foreach", foreach_ ? Value(*foreach_) : Value());
  group.set("capturable", capturable_);
  group.set("differentiable", differentiable_);
  group.set("fused", fused_);
}

void AdamOptions::read(const Value& group, const std::string& where) {
  lr_ = detail::read_number(group, "lr", where);
  betas_ = detail::read_betas(group, where);
  eps_ = detail::read_number(group, "eps", where);
  weight_decay_ = detail::read_number(group, "weight_decay", where);
  // Adam.__setstate__ fills these in for checkpoints of older PyTorch versions.
  amsgrad_ = detail::read_bool_or(group, "amsgrad", false, where);
  maximize_ = detail::read_bool_or(group, "maximize", false, where);
  foreach_ = detail::read_optional_bool_or(group, "foreach", std::nullopt, where);
  capturable_ = detail::read_bool_or(group, "capturable", false, where);
  differentiable_ = detail::read_bool_or(group, "differentiable", false, where);
  fused_ = detail::read_bool_or(group, "fused", false, where);
}

std::vector<std::string> AdamOptions::keys() const {
  return {"lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "foreach",
          "capturable", "differentiable", "fused"};
}

// ---- state -------------------------------------------------------------------------------------

Value AdamParamState::to_value() const {
  Value entry = Value::dict();
  entry.set("step", step);
  entry.set("exp_avg", exp_avg);
  entry.set("exp_avg_sq", exp_avg_sq);
  if (max_exp_avg_sq.defined()) entry.set("max_exp_avg_sq", max_exp_avg_sq);
  return entry;
}

// ---- optimizer ---------------------------------------------------------------------------------

Adam::Adam(std::vector<Tensor> params, const AdamOptions& defaults)
    : Adam(std::vector<ParamGroup>{ParamGroup(std::move(params))}, defaults) {}

Adam::Adam(std::vector<ParamGroup> groups, const AdamOptions& defaults)
    : Optimizer("Adam", defaults.clone()) {
  add_param_groups(std::move(groups));
}

void Adam::validate(const OptimizerOptions& options) const {
  const auto& o = static_cast<const AdamOptions&>(options);
  detail::check_adam_hyperparameters(o.lr(), o.eps(), o.betas(), o.weight_decay());
}

std::unique_ptr<ParamState> Adam::state_from_value(const Value& entry, const Tensor& param,
                                                   const OptimizerOptions& group_options,
                                                   const std::string& where) const {
  const auto& o = static_cast<const AdamOptions&>(group_options);
  return detail::adam_state_from_value(entry, param, o.amsgrad(), where);
}

void Adam::step() {
  NoGradGuard no_grad;
  for (ParamGroup& group : param_groups()) {
    const auto& o = static_cast<const AdamOptions&>(*group.options);
    const detail::AdamStep h{o.lr(),           o.betas().first, o.betas().second,
                             o.eps(),          o.weight_decay(), o.amsgrad(),
                             o.maximize(),     false};
    for (Tensor& param : group.params) {
      const Tensor grad = param.grad();
      if (!grad.defined()) continue;
      auto* state = &state_or_create<AdamParamState>(param);
      detail::adam_update(param, grad, *state, h);
    }
  }
}

// ---- shared with AdamW -------------------------------------------------------------------------

namespace detail {

void check_adam_hyperparameters(double lr, double eps, std::pair<double, double> betas,
                                double weight_decay) {
  check(lr >= 0.0, "Invalid learning rate: ", lr);
  check(eps >= 0.0, "Invalid epsilon value: ", eps);
  check(betas.first >= 0.0 && betas.first < 1.0, "Invalid beta parameter at index 0: ",
        betas.first);
  check(betas.second >= 0.0 && betas.second < 1.0, "Invalid beta parameter at index 1: ",
        betas.second);
  check(weight_decay >= 0.0, "Invalid weight_decay value: ", weight_decay);
}

std::pair<double, double> read_betas(const Value& group, const std::string& where) {
  const Value* betas = group.find(Key(std::string("betas")));
  check(betas != nullptr, where, " has no key 'betas'");
  check(betas->is_sequence() && betas->size() == 2 && betas->items()[0].is_number() &&
            betas->items()[1].is_number(),
        where, "['betas'] should be a tuple of two numbers, found a ", betas->kind_name());
  return {betas->items()[0].as_double(), betas->items()[1].as_double()};
}

std::unique_ptr<ParamState> adam_state_from_value(const Value& entry, const Tensor& param,
                                                  bool amsgrad, const std::string& where) {
  auto state = std::make_unique<AdamParamState>();
  const Value* step = entry.find(Key(std::string("step")));
  check(step != nullptr, where, " has no key 'step'");
  // PyTorch < 1.12 saved the step as a Python number; Adam.__setstate__ makes it a tensor.
  if (step->is_number()) {
    state->step = scalar_tensor(step->as_double(), kFloat32);
  } else {
    check(step->is_tensor() && step->as_tensor().numel() == 1, where,
          "['step'] should be a number or a one-element tensor, found a ", step->kind_name());
    state->step = scalar_tensor(step->as_tensor().item(), kFloat32);
  }
  state->exp_avg = read_state_tensor(entry, "exp_avg", param, where);
  state->exp_avg_sq = read_state_tensor(entry, "exp_avg_sq", param, where);
  if (amsgrad || entry.contains(Key(std::string("max_exp_avg_sq")))) {
    state->max_exp_avg_sq = read_state_tensor(entry, "max_exp_avg_sq", param, where);
  }
  return state;
}

namespace {

// The numbers of one step, in the parameter's type. sign is -1 with maximize: -g is then
// sign * g, exactly.
template <class T>
struct StepCoefficients {
  T sign, neg_step_size, bias_correction2_sqrt, beta1, one_minus_beta1, beta2, one_minus_beta2,
      eps, weight_decay, decay_factor;
  bool coupled_decay;
};

// p, g, m (exp_avg), v (exp_avg_sq), v_max [begin, end): one Adam step. Amsgrad and decoupled
// (AdamW's) weight decay are template arguments, so that each combination compiles to a loop
// of its own with no branch inside, which the compiler vectorises. GCC vectorised none with
// them tested in the loop, and needs -fno-math-errno (CMakeLists.txt) for std::sqrt as well.
// The float32 arithmetic rounds where PyTorch's sequence of tensor ops rounds.
template <class T, bool Amsgrad, bool Decoupled>
void adam_range(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v,
                T* __restrict v_max, std::int64_t begin, std::int64_t end,
                const StepCoefficients<T>& c) {
  for (std::int64_t i = begin; i < end; ++i) {
    T grad = c.sign * g[i];
    const T param = Decoupled ? p[i] * c.decay_factor : p[i];
    if (c.coupled_decay) grad = grad + c.weight_decay * param;
    T avg = m[i] * c.beta1;
    avg = avg + c.one_minus_beta1 * grad;
    T avg_sq = v[i] * c.beta2;
    avg_sq = avg_sq + c.one_minus_beta2 * grad * grad;
    m[i] = avg;
    v[i] = avg_sq;
    if constexpr (Amsgrad) avg_sq = v_max[i] = std::max(v_max[i], avg_sq);
    const T denom = std::sqrt(avg_sq) / c.bias_correction2_sqrt + c.eps;
    p[i] = param + c.neg_step_size * avg / denom;
  }
}

// p, g, m, v, v_max (null without amsgrad): n contiguous elements.
template <class T>
void adam_kernel(T* p, const T* g, T* m, T* v, T* v_max, std::int64_t n, const AdamStep& h,
                 double step) {
  const double bias_correction1 = 1.0 - std::pow(h.beta1, step);
  const double bias_correction2 = 1.0 - std::pow(h.beta2, step);
  const StepCoefficients<T> c{static_cast<T>(h.maximize ? -1 : 1),
                              static_cast<T>(-(h.lr / bias_correction1)),
                              static_cast<T>(std::sqrt(bias_correction2)),
                              static_cast<T>(h.beta1),
                              static_cast<T>(1.0 - h.beta1),
                              static_cast<T>(h.beta2),
                              static_cast<T>(1.0 - h.beta2),
                              static_cast<T>(h.eps),
                              static_cast<T>(h.weight_decay),
                              static_cast<T>(1.0 - h.lr * h.weight_decay),  // AdamW
                              h.weight_decay != 0.0 && !h.decoupled_weight_decay};
  const bool decoupled = h.decoupled_weight_decay;
  detail::for_chunks(n, [&](std::int64_t begin, std::int64_t end) {
    if (v_max != nullptr) {
      return decoupled ? adam_range<T, true, true>(p, g, m, v, v_max, begin, end, c)
                       : adam_range<T, true, false>(p, g, m, v, v_max, begin, end, c);
    }
    return decoupled ? adam_range<T, false, true>(p, g, m, v, v_max, begin, end, c)
                     : adam_range<T, false, false>(p, g, m, v, v_max, begin, end, c);
  });
}

}  // namespace

void adam_update(Tensor& param, const Tensor& grad_tensor, AdamParamState& state,
                 const AdamStep& h) {
  if (!state.step.defined()) {
    state.step = scalar_tensor(0.0, kFloat32);
    state.exp_avg = zeros_like(param);
    state.exp_avg_sq = zeros_like(param);
  }
  if (h.amsgrad && !state.max_exp_avg_sq.defined()) state.max_exp_avg_sq = zeros_like(param);
  // step_t += 1 on the float32 tensor, then step_t.item(), as PyTorch.
  float* step = state.step.data_ptr<float>();
  *step += 1.0f;
  state.step.storage()->bump_version();

  Tensor p = param.contiguous();
  const Tensor grad = grad_tensor.contiguous();
  ember::detail::dispatch_floating(param.dtype(), "Adam.step", [&](auto zero) {
    using T = decltype(zero);
    T* v_max = h.amsgrad ? state.max_exp_avg_sq.data_ptr<T>() : nullptr;
    adam_kernel(p.data_ptr<T>(), grad.data_ptr<T>(), state.exp_avg.data_ptr<T>(),
                state.exp_avg_sq.data_ptr<T>(), v_max, p.numel(), h, static_cast<double>(*step));
  });
  if (!p.is_same(param)) param.copy_(p);
  param.storage()->bump_version();
  state.exp_avg.storage()->bump_version();
  state.exp_avg_sq.storage()->bump_version();
}

}  // namespace detail

}  // namespace ember::optim
