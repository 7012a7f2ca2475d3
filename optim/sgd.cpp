// SGD's update, one fused loop per parameter, following _single_tensor_sgd in
// torch/optim/sgd.py (PyTorch 1.13) operation for operation.
#include "ember/optim/sgd.h"

#include "ember/optim/dispatch_flags.h"
#include "ember/optim/for_chunks.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"

namespace ember::optim {

// ---- options -----------------------------------------------------------------------------------

void SGDOptions::validate() const {
  check(lr_ >= 0.0, "Invalid learning rate: ", lr_);
  check(momentum_ >= 0.0, "Invalid momentum value: ", momentum_);
  check(weight_decay_ >= 0.0, "Invalid weight_decay value: ", weight_decay_);
  check(!nesterov_ || (momentum_ > 0.0 && dampening_ == 0.0),
        "Nesterov momentum requires a momentum and zero dampening");
}

const std::vector<OptionKey<SGDOptions>>& SGDOptions::keys() {
  static const std::vector<OptionKey<SGDOptions>> keys = {
      {"lr", &SGDOptions::lr_},
      {"momentum", &SGDOptions::momentum_, /*zero_as_int=*/true},
      {"dampening", &SGDOptions::dampening_, /*zero_as_int=*/true},
      {"weight_decay", &SGDOptions::weight_decay_, /*zero_as_int=*/true},
      {"nesterov", &SGDOptions::nesterov_},
      {"maximize", &SGDOptions::maximize_},
      {"foreach", &SGDOptions::foreach_},
      {"differentiable", &SGDOptions::differentiable_},
  };
  return keys;
}

// ---- state -------------------------------------------------------------------------------------

Value SGDParamState::to_value() const {
  Value entry = Value::dict();
  entry.set("momentum_buffer", momentum_buffer.defined() ? Value(momentum_buffer) : Value());
  return entry;
}

SGDParamState SGDParamState::from_value(const Value& entry, const Tensor& param,
                                        const SGDOptions&, const std::string& where) {
  SGDParamState state;
  const Value* buffer = entry.find(Key(std::string("momentum_buffer")));
  check(buffer != nullptr, where, " has no key 'momentum_buffer'");
  if (!buffer->is_none()) {
    state.momentum_buffer = detail::read_state_tensor(entry, "momentum_buffer", param, where);
  }
  return state;
}

// ---- optimizer ---------------------------------------------------------------------------------

SGD::SGD(std::vector<Tensor> params, const SGDOptions& defaults)
    : SGD(std::vector<ParamGroup>{ParamGroup(std::move(params))}, defaults) {}

SGD::SGD(std::vector<ParamGroup> groups, const SGDOptions& defaults)
    : OptimizerBase("SGD", std::move(groups), defaults) {}

namespace {

// The numbers of one step, in the parameter's type. sign is -1 with maximize: -g is then
// sign * g, exactly.
template <class T>
struct StepCoefficients {
  T sign, weight_decay, momentum, one_minus_dampening, neg_lr;
  bool decay;
};

// p, g, buf (momentum buffer) [begin, end): one SGD step, the formula in sgd.h. First: buf is
// uninitialised and takes the (decayed, signed) gradient itself, as torch.clone(d_p) does.
template <class T, bool Momentum, bool Nesterov, bool First>
void sgd_range(T* __restrict p, const T* __restrict g, T* __restrict buf, std::int64_t begin,
               std::int64_t end, const StepCoefficients<T>& c) {
  for (std::int64_t i = begin; i < end; ++i) {
    T d = c.sign * g[i];
    if (c.decay) d = d + c.weight_decay * p[i];
    if constexpr (Momentum) {
      const T b = First ? d : buf[i] * c.momentum + c.one_minus_dampening * d;
      buf[i] = b;
      d = Nesterov ? d + c.momentum * b : b;
    }
    p[i] = p[i] + c.neg_lr * d;
  }
}

// p (n), g (n), buf (n) or null without momentum; contiguous.
template <class T>
void sgd_update(T* p, const T* g, T* buf, std::int64_t n, const SGDOptions& o, bool first) {
  const StepCoefficients<T> c{static_cast<T>(o.maximize() ? -1 : 1),
                              static_cast<T>(o.weight_decay()), static_cast<T>(o.momentum()),
                              static_cast<T>(1.0 - o.dampening()), static_cast<T>(-o.lr()),
                              o.weight_decay() != 0.0};
  detail::for_chunks(n, [&](std::int64_t begin, std::int64_t end) {
    detail::dispatch_flags([&](auto momentum, auto nesterov, auto first_step) {
      sgd_range<T, momentum, nesterov, first_step>(p, g, buf, begin, end, c);
    }, buf != nullptr, o.nesterov(), first);
  });
}

}  // namespace

void SGD::step() {
  NoGradGuard no_grad;
  for (ParamGroup& group : param_groups()) {
    const SGDOptions& o = *group.options;
    for (Tensor& param : group.params) {
      const Tensor grad_tensor = param.grad();
      if (!grad_tensor.defined()) continue;
      SGDParamState& state = state_or_create(param);
      const bool first = !state.momentum_buffer.defined();
      if (o.momentum() != 0.0 && first) state.momentum_buffer = empty_like(param);
      Tensor p = param.contiguous();
      const Tensor grad = grad_tensor.contiguous();
      ember::detail::dispatch_floating(param.dtype(), "SGD.step", [&](auto zero) {
        using T = decltype(zero);
        T* buf = o.momentum() != 0.0 ? state.momentum_buffer.data_ptr<T>() : nullptr;
        sgd_update(p.data_ptr<T>(), grad.data_ptr<T>(), buf, p.numel(), o, first);
      });
      if (!p.is_same(param)) param.copy_(p);
      param.storage()->bump_version();
    }
  }
}

}  // namespace ember::optim
