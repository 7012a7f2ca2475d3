// SGD's update, one fused loop per parameter, following _single_tensor_sgd in
// torch/optim/sgd.py (PyTorch 1.13) operation for operation.
#include "optim/for_chunks.h"
#include "optim/sgd.h"

#include "tensor/autograd.h"
#include "tensor/dispatch.h"
#include "tensor/factories.h"

namespace ember::optim {

// ---- options -----------------------------------------------------------------------------------

std::unique_ptr<OptimizerOptions> SGDOptions::clone() const {
  return std::make_unique<SGDOptions>(*this);
}

void SGDOptions::write(Value& group) const {
  group.set("lr", lr_);
  group.set("momentum", detail::number_or_int_zero(momentum_));
  group.set("dampening", detail::number_or_int_zero(dampening_));
  group.set("weight_decay", detail::number_or_int_zero(weight_decay_));
  group.set("nesterov", nesterov_);
  group.set("maximize", maximize_);
  group.set("foreach", foreach_ ? Value(*foreach_) : Value());
  group.set("differentiable", differentiable_);
}

void SGDOptions::read(const Value& group, const std::string& where) {
  lr_ = detail::read_number(group, "lr", where);
  momentum_ = detail::read_number(group, "momentum", where);
  dampening_ = detail::read_number(group, "dampening", where);
  weight_decay_ = detail::read_number(group, "weight_decay", where);
  // SGD.__setstate__ fills these in for checkpoints of older PyTorch versions.
  nesterov_ = detail::read_bool_or(group, "nesterov", false, where);
  maximize_ = detail::read_bool_or(group, "maximize", false, where);
  foreach_ = detail::read_optional_bool_or(group, "foreach", std::nullopt, where);
  differentiable_ = detail::read_bool_or(group, "differentiable", false, where);
}

std::vector<std::string> SGDOptions::keys() const {
  return {"lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize", "foreach",
          "differentiable"};
}

// ---- state -------------------------------------------------------------------------------------

Value SGDParamState::to_value() const {
  Value entry = Value::dict();
  entry.set("momentum_buffer", momentum_buffer.defined() ? Value(momentum_buffer) : Value());
  return entry;
}

// ---- optimizer ---------------------------------------------------------------------------------

SGD::SGD(std::vector<Tensor> params, const SGDOptions& defaults)
    : SGD(std::vector<ParamGroup>{ParamGroup(std::move(params))}, defaults) {}

SGD::SGD(std::vector<ParamGroup> groups, const SGDOptions& defaults)
    : Optimizer("SGD", defaults.clone()) {
  add_param_groups(std::move(groups));
}

void SGD::validate(const OptimizerOptions& options) const {
  const auto& o = static_cast<const SGDOptions&>(options);
  check(o.lr() >= 0.0, "Invalid learning rate: ", o.lr());
  check(o.momentum() >= 0.0, "Invalid momentum value: ", o.momentum());
  check(o.weight_decay() >= 0.0, "Invalid weight_decay value: ", o.weight_decay());
  check(!o.nesterov() || (o.momentum() > 0.0 && o.dampening() == 0.0),
        "Nesterov momentum requires a momentum and zero dampening");
}

std::unique_ptr<ParamState> SGD::state_from_value(const Value& entry, const Tensor& param,
                                                  const OptimizerOptions&,
                                                  const std::string& where) const {
  auto state = std::make_unique<SGDParamState>();
  const Value* buffer = entry.find(Key(std::string("momentum_buffer")));
  check(buffer != nullptr, where, " has no key 'momentum_buffer'");
  if (!buffer->is_none()) {
    state->momentum_buffer = detail::read_state_tensor(entry, "momentum_buffer", param, where);
  }
  return state;
}

namespace {

// The numbers of one step, in the parameter's type. sign is -1 with maximize: -g is then
// sign * g, exactly.
template <class T>
struct StepCoefficients {
  T sign, weight_decay, momentum, one_minus_dampening, neg_lr;
  bool decay;
};

// p, g, buf (momentum buffer) [begin, end): one SGD step. The choices that change the formula
// are template arguments, so that each combination compiles to a loop of its own with no
// branch inside, which the compiler vectorises. (With all of them tested in one loop, GCC
// vectorised only some combinations; LeNet's, momentum after the first step, took 1 ns per
// parameter.) First: buf is uninitialised and takes the (decayed, signed) gradient itself, as
// torch.clone(d_p) does.
template <class T, bool Momentum, bool First, bool Nesterov>
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
  const bool nesterov = o.nesterov();
  detail::for_chunks(n, [&](std::int64_t begin, std::int64_t end) {
    if (buf == nullptr) return sgd_range<T, false, false, false>(p, g, buf, begin, end, c);
    if (first) {
      return nesterov ? sgd_range<T, true, true, true>(p, g, buf, begin, end, c)
                      : sgd_range<T, true, true, false>(p, g, buf, begin, end, c);
    }
    return nesterov ? sgd_range<T, true, false, true>(p, g, buf, begin, end, c)
                    : sgd_range<T, true, false, false>(p, g, buf, begin, end, c);
  });
}

}  // namespace

void SGD::step() {
  NoGradGuard no_grad;
  for (ParamGroup& group : param_groups()) {
    const auto& o = static_cast<const SGDOptions&>(*group.options);
    for (Tensor& param : group.params) {
      const Tensor grad_tensor = param.grad();
      if (!grad_tensor.defined()) continue;
      auto* state = &state_or_create<SGDParamState>(param);
      const bool first = !state->momentum_buffer.defined();
      if (o.momentum() != 0.0 && first) state->momentum_buffer = empty_like(param);
      Tensor p = param.contiguous();
      const Tensor grad = grad_tensor.contiguous();
      ember::detail::dispatch_floating(param.dtype(), "SGD.step", [&](auto zero) {
        using T = decltype(zero);
        T* buf = o.momentum() != 0.0 ? state->momentum_buffer.data_ptr<T>() : nullptr;
        sgd_update(p.data_ptr<T>(), grad.data_ptr<T>(), buf, p.numel(), o, first);
      });
      if (!p.is_same(param)) param.copy_(p);
      param.storage()->bump_version();
    }
  }
}

}  // namespace ember::optim
