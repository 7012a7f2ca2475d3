// Adam's and AdamW's update, one fused loop per parameter, following _single_tensor_adam in
// torch/optim/adam.py and _single_tensor_adamw in torch/optim/adamw.py (PyTorch 1.13)
// operation for operation.
#include "ember/optim/adam.h"

#include <algorithm>
#include <cmath>

#include "ember/optim/dispatch_flags.h"
#include "ember/optim/for_chunks.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"

namespace ember::optim {

// ---- options -----------------------------------------------------------------------------------

template <WeightDecay Decay>
void BasicAdamOptions<Decay>::validate() const {
  check(lr_ >= 0.0, "Invalid learning rate: ", lr_);
  check(eps_ >= 0.0, "Invalid epsilon value: ", eps_);
  check(betas_.first >= 0.0 && betas_.first < 1.0, "Invalid beta parameter at index 0: ",
        betas_.first);
  check(betas_.second >= 0.0 && betas_.second < 1.0, "Invalid beta parameter at index 1: ",
        betas_.second);
  check(weight_decay_ >= 0.0, "Invalid weight_decay value: ", weight_decay_);
}

// PyTorch 1.13's Adam and AdamW share their first five keys; then AdamW has foreach before
// maximize, and neither differentiable nor fused.
template <WeightDecay Decay>
const std::vector<OptionKey<BasicAdamOptions<Decay>>>& BasicAdamOptions<Decay>::keys() {
  using O = BasicAdamOptions;
  static const std::vector<OptionKey<O>> keys = [] {
    std::vector<OptionKey<O>> shared = {
        {"lr", &O::lr_},
        {"betas", &O::betas_},
        {"eps", &O::eps_},
        {"weight_decay", &O::weight_decay_, /*zero_as_int=*/true},
        {"amsgrad", &O::amsgrad_},
    };
    if constexpr (Decay == WeightDecay::coupled) {
      shared.insert(shared.end(), {{"maximize", &O::maximize_},
                                   {"foreach", &O::foreach_},
                                   {"capturable", &O::capturable_},
                                   {"differentiable", &O::differentiable_},
                                   {"fused", &O::fused_}});
    } else {
      shared.insert(shared.end(), {{"foreach", &O::foreach_},
                                   {"maximize", &O::maximize_},
                                   {"capturable", &O::capturable_}});
    }
    return shared;
  }();
  return keys;
}

template class BasicAdamOptions<WeightDecay::coupled>;
template class BasicAdamOptions<WeightDecay::decoupled>;

// ---- state -------------------------------------------------------------------------------------

Value AdamParamState::to_value() const {
  Value entry = Value::dict();
  entry.set("step", step);
  entry.set("exp_avg", exp_avg);
  entry.set("exp_avg_sq", exp_avg_sq);
  if (max_exp_avg_sq.defined()) entry.set("max_exp_avg_sq", max_exp_avg_sq);
  return entry;
}

AdamParamState AdamParamState::from_value(const Value& entry, const Tensor& param, bool amsgrad,
                                          const std::string& where) {
  AdamParamState state;
  const Value* step = entry.find(Key(std::string("step")));
  check(step != nullptr, where, " has no key 'step'");
  // PyTorch < 1.12 saved the step as a Python number; Adam.__setstate__ makes it a tensor.
  if (step->is_number()) {
    state.step = scalar_tensor(step->as_double(), kFloat32);
  } else {
    check(step->is_tensor() && step->as_tensor().numel() == 1, where,
          "['step'] should be a number or a one-element tensor, found a ", step->kind_name());
    state.step = scalar_tensor(step->as_tensor().item(), kFloat32);
  }
  state.exp_avg = detail::read_state_tensor(entry, "exp_avg", param, where);
  state.exp_avg_sq = detail::read_state_tensor(entry, "exp_avg_sq", param, where);
  if (amsgrad || entry.contains(Key(std::string("max_exp_avg_sq")))) {
    state.max_exp_avg_sq = detail::read_state_tensor(entry, "max_exp_avg_sq", param, where);
  }
  return state;
}

// ---- the update --------------------------------------------------------------------------------

namespace {

// The numbers of one step, in the parameter's type. sign is -1 with maximize: -g is then
// sign * g, exactly.
template <class T>
struct StepCoefficients {
  T sign, neg_step_size, bias_correction2_sqrt, beta1, one_minus_beta1, beta2, one_minus_beta2,
      eps, weight_decay, decay_factor;
  bool coupled_decay;
};

// p, g, m (exp_avg), v (exp_avg_sq), v_max [begin, end): one step, the formula in adam.h. GCC
// vectorises it only with amsgrad and the kind of weight decay fixed at compile time, and
// needs -fno-math-errno (CMakeLists.txt) for std::sqrt as well. The float32 arithmetic rounds
// where PyTorch's sequence of tensor ops rounds.
template <class T, bool Amsgrad, bool Decoupled>
void adam_range(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v,
                T* __restrict v_max, std::int64_t begin, std::int64_t end,
                const StepCoefficients<T>& c) {
  for (std::int64_t i = begin; i < end; ++i) {
    T grad = c.sign * g[i];
    const T param = Decoupled ? p[i] * c.decay_factor : p[i];
    if (c.coupled_decay) grad = grad + c.weight_decay * param;
    const T avg = m[i] * c.beta1 + c.one_minus_beta1 * grad;
    T avg_sq = v[i] * c.beta2 + c.one_minus_beta2 * grad * grad;
    m[i] = avg;
    v[i] = avg_sq;
    if constexpr (Amsgrad) avg_sq = v_max[i] = std::max(v_max[i], avg_sq);
    const T denom = std::sqrt(avg_sq) / c.bias_correction2_sqrt + c.eps;
    p[i] = param + c.neg_step_size * avg / denom;
  }
}

// p, g, m, v, v_max (null without amsgrad): n contiguous elements; step is t.
template <class T, WeightDecay Decay>
void adam_kernel(T* p, const T* g, T* m, T* v, T* v_max, std::int64_t n,
                 const BasicAdamOptions<Decay>& o, double step) {
  const auto [beta1, beta2] = o.betas();
  const double bias_correction1 = 1.0 - std::pow(beta1, step);
  const double bias_correction2 = 1.0 - std::pow(beta2, step);
  constexpr bool decoupled = Decay == WeightDecay::decoupled;
  const StepCoefficients<T> c{static_cast<T>(o.maximize() ? -1 : 1),
                              static_cast<T>(-(o.lr() / bias_correction1)),
                              static_cast<T>(std::sqrt(bias_correction2)),
                              static_cast<T>(beta1),
                              static_cast<T>(1.0 - beta1),
                              static_cast<T>(beta2),
                              static_cast<T>(1.0 - beta2),
                              static_cast<T>(o.eps()),
                              static_cast<T>(o.weight_decay()),
                              static_cast<T>(1.0 - o.lr() * o.weight_decay()),
                              o.weight_decay() != 0.0 && !decoupled};
  detail::for_chunks(n, [&](std::int64_t begin, std::int64_t end) {
    detail::dispatch_flags([&](auto amsgrad) {
      adam_range<T, amsgrad, decoupled>(p, g, m, v, v_max, begin, end, c);
    }, v_max != nullptr);
  });
}

// Updates param in place from its grad, creating the state on the first step.
template <WeightDecay Decay>
void adam_update(Tensor& param, const Tensor& grad_tensor, AdamParamState& state,
                 const BasicAdamOptions<Decay>& o) {
  if (!state.step.defined()) {
    state.step = scalar_tensor(0.0, kFloat32);
    state.exp_avg = zeros_like(param);
    state.exp_avg_sq = zeros_like(param);
  }
  if (o.amsgrad() && !state.max_exp_avg_sq.defined()) state.max_exp_avg_sq = zeros_like(param);
  // step_t += 1 on the float32 tensor, then step_t.item(), as PyTorch.
  float* step = state.step.data_ptr<float>();
  *step += 1.0f;
  state.step.storage()->bump_version();

  Tensor p = param.contiguous();
  const Tensor grad = grad_tensor.contiguous();
  ember::detail::dispatch_floating(param.dtype(), "Adam.step", [&](auto zero) {
    using T = decltype(zero);
    T* v_max = o.amsgrad() ? state.max_exp_avg_sq.data_ptr<T>() : nullptr;
    adam_kernel(p.data_ptr<T>(), grad.data_ptr<T>(), state.exp_avg.data_ptr<T>(),
                state.exp_avg_sq.data_ptr<T>(), v_max, p.numel(), o, static_cast<double>(*step));
  });
  if (!p.is_same(param)) param.copy_(p);
  param.storage()->bump_version();
  state.exp_avg.storage()->bump_version();
  state.exp_avg_sq.storage()->bump_version();
}

}  // namespace

// ---- optimizer ---------------------------------------------------------------------------------

template <WeightDecay Decay>
BasicAdam<Decay>::BasicAdam(std::vector<Tensor> params, const Options& defaults)
    : BasicAdam(std::vector<ParamGroup>{ParamGroup(std::move(params))}, defaults) {}

template <WeightDecay Decay>
BasicAdam<Decay>::BasicAdam(std::vector<ParamGroup> groups, const Options& defaults)
    : OptimizerBase<Options, AdamParamState>(Decay == WeightDecay::decoupled ? "AdamW" : "Adam",
                                             std::move(groups), defaults) {}

template <WeightDecay Decay>
void BasicAdam<Decay>::step() {
  NoGradGuard no_grad;
  for (ParamGroup& group : this->param_groups()) {
    for (Tensor& param : group.params) {
      const Tensor grad = param.grad();
      if (!grad.defined()) continue;
      adam_update(param, grad, this->state_or_create(param), *group.options);
    }
  }
}

template class BasicAdam<WeightDecay::coupled>;
template class BasicAdam<WeightDecay::decoupled>;

}  // namespace ember::optim
