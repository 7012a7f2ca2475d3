// Optimizer: what SGD, Adam and AdamW share — parameter groups, per-parameter state, and a
// state_dict in torch.optim's structure, so that checkpoints move between ember and PyTorch.
// Semantics: https://pytorch.org/docs/1.13/optim.html (torch/optim/optimizer.py).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ember/optim/option_keys.h"
#include "ember/core/value.h"
#include "ember/tensor/tensor.h"

namespace ember::optim {

// What training loops and LR schedulers see of any optimizer.
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter that has a gradient.
  virtual void step() = 0;
  // Clears the gradients of all parameters: drops them (grad becomes undefined, so step()
  // skips the parameter) or, with set_to_none = false, fills them with zeros.
  virtual void zero_grad(bool set_to_none = true) = 0;

  // {"state": {index: {...}}, "param_groups": [{...hyperparameters..., "params": [0, 1, ...]}]}
  // with parameters numbered across groups in order, state only for parameters that have
  // some. As in PyTorch, the state tensors are the live ones (not copies): save the Value
  // before the next step, or deep-copy it.
  virtual Value state_dict() const = 0;
  // Restores hyperparameters and state from a state_dict of an optimizer of the same kind
  // over the same parameter layout. The state tensors are copied (cast to each parameter's
  // dtype), so the loaded Value and this optimizer never share memory. Throws Error before
  // changing anything if the groups don't match or a key is missing.
  virtual void load_state_dict(const Value& state_dict) = 0;

  // What an LR scheduler reads and sets: each group's lr and group['initial_lr'].
  virtual std::size_t num_param_groups() const = 0;
  virtual double get_lr(std::size_t group) const = 0;
  virtual void set_lr(std::size_t group, double lr) = 0;
  virtual std::optional<double>& initial_lr(std::size_t group) = 0;

 protected:
  Optimizer() = default;
};

// One group of parameters sharing hyperparameters (a dict in torch's param_groups), e.g. a
// smaller learning rate for the pretrained layers when fine-tuning:
//   SGD opt({SGD::ParamGroup(backbone), SGD::ParamGroup(head, SGDOptions(0.1))}, SGDOptions(0.01));
template <class Options>
struct ParamGroup {
  // A group that takes the optimizer's default options.
  explicit ParamGroup(std::vector<Tensor> group_params) : params(std::move(group_params)) {}
  ParamGroup(std::vector<Tensor> group_params, Options group_options)
      : params(std::move(group_params)), options(std::move(group_options)) {}

  std::vector<Tensor> params;
  std::optional<Options> options;  // set to the optimizer's defaults when not given
  // group['initial_lr'], which an LR scheduler sets when it is constructed.
  std::optional<double> initial_lr;
  // Keys of a loaded param_group that this optimizer doesn't use, written back by state_dict
  // so that nothing is lost on the way through ember.
  Value extra = Value::dict();
};

// The optimizers derive from OptimizerBase<TheirOptions, TheirState>, which keeps both typed:
// step() reads a group's options and a parameter's state as they are. Options provides
//   static const std::vector<OptionKey<Options>>& keys();   its param_group keys (option_keys.h)
//   double lr() const; Options& lr(double);  void validate() const;  (PyTorch's range checks)
// and State (what the optimizer remembers about one parameter: SGD's momentum buffer, Adam's
// moments) provides
//   Value to_value() const;   the entry state_dict()["state"][index], holding the live tensors
//   static State from_value(const Value& entry, const Tensor& param, const Options& group,
//                           const std::string& where);   copying the tensors
template <class Options, class State>
class OptimizerBase : public Optimizer {
 public:
  using ParamGroup = optim::ParamGroup<Options>;

  // Appends a group; a group without options gets a copy of the defaults. Parameters must be
  // leaves and appear in no other group (PyTorch's checks).
  void add_param_group(ParamGroup group);
  std::vector<ParamGroup>& param_groups() { return param_groups_; }
  const std::vector<ParamGroup>& param_groups() const { return param_groups_; }
  const Options& defaults() const { return defaults_; }

  void zero_grad(bool set_to_none = true) override;
  Value state_dict() const override;
  void load_state_dict(const Value& state_dict) override;

  std::size_t num_param_groups() const override { return param_groups_.size(); }
  double get_lr(std::size_t group) const override {
    return param_groups_.at(group).options->lr();
  }
  void set_lr(std::size_t group, double lr) override { param_groups_.at(group).options->lr(lr); }
  std::optional<double>& initial_lr(std::size_t group) override {
    return param_groups_.at(group).initial_lr;
  }

  // The state of a parameter, or null before its first step.
  const State* state(const Tensor& param) const;
  std::size_t state_size() const { return state_order_.size(); }

 protected:
  // name is the optimizer's class name, for messages ("SGD"). Validates the defaults and adds
  // the groups; Error if there are no parameters at all.
  OptimizerBase(std::string name, std::vector<ParamGroup> groups, Options defaults);

  // The state of param, created empty on its first step (how every step() starts); a new
  // parameter goes last in state_dict's order, as in Python's dict.
  State& state_or_create(const Tensor& param);

 private:
  std::string name_;
  Options defaults_;
  std::vector<ParamGroup> param_groups_;
  std::unordered_map<const TensorImpl*, State> state_;
  std::vector<const TensorImpl*> state_order_;  // insertion order of state_
};

namespace detail {

// The parts of OptimizerBase that don't depend on Options or State (optimizer.cpp).

// Error unless every new parameter is a defined leaf that no earlier group (taken) holds.
void check_new_params(const std::string& name, const std::vector<Tensor>& params,
                      const std::vector<std::vector<Tensor>>& taken);
void zero_grad(const std::vector<Tensor>& params, bool set_to_none);
// Checks a state dict's structure and that its groups have group_sizes parameters; returns
// its param_groups and its state.
std::pair<const std::vector<Value>*, const Value*> check_state_dict(
    const std::string& op, const Value& state_dict, const std::vector<std::size_t>& group_sizes);
// Reads group['initial_lr'] if present, and collects the keys neither known nor 'params' nor
// 'initial_lr' into extra.
void read_group_extras(const Value& group, const std::vector<std::string>& known,
                       const std::string& where, std::optional<double>& initial_lr,
                       Value& extra);
// group['params'] as ints.
std::vector<std::int64_t> read_param_ids(const Value& group, const std::string& where);

// A hyperparameter as PyTorch writes it: the int 0 where PyTorch's default is the int 0
// (momentum=0, weight_decay=0, ...), a float otherwise.
Value number_or_int_zero(double value);
// group[key] as a number (ints accepted), bool or optional bool; Error naming key and where
// when it is missing or has another type.
double read_number(const Value& dict, const char* key, const std::string& where);
bool read_bool(const Value& dict, const char* key, const std::string& where);
std::int64_t read_int(const Value& dict, const char* key, const std::string& where);
// A list (or tuple) of numbers.
std::vector<double> read_number_list(const Value& dict, const char* key, const std::string& where);
Value number_list(const std::vector<double>& values);
bool read_bool_or(const Value& dict, const char* key, bool fallback, const std::string& where);
// A state tensor for param: entry[key] copied into a new contiguous tensor of param's dtype
// (when param is floating point), checked to have param's shape.
Tensor read_state_tensor(const Value& entry, const char* key, const Tensor& param,
                         const std::string& where);
// A new contiguous copy of t (never sharing memory with it), converted to dtype.
Tensor copy_as(const Tensor& t, Dtype dtype);

}  // namespace detail

// ---- OptimizerBase ----------------------------------------------------------------------------

template <class Options, class State>
OptimizerBase<Options, State>::OptimizerBase(std::string name, std::vector<ParamGroup> groups,
                                             Options defaults)
    : name_(std::move(name)), defaults_(std::move(defaults)) {
  defaults_.validate();
  const bool empty = groups.empty() || (groups.size() == 1 && groups[0].params.empty());
  check(!empty, name_, ": optimizer got an empty parameter list");
  for (ParamGroup& group : groups) add_param_group(std::move(group));
}

template <class Options, class State>
void OptimizerBase<Options, State>::add_param_group(ParamGroup group) {
  if (!group.options) group.options = defaults_;
  group.options->validate();
  std::vector<std::vector<Tensor>> taken;
  for (const ParamGroup& existing : param_groups_) taken.push_back(existing.params);
  detail::check_new_params(name_, group.params, taken);
  param_groups_.push_back(std::move(group));
}

template <class Options, class State>
void OptimizerBase<Options, State>::zero_grad(bool set_to_none) {
  for (const ParamGroup& group : param_groups_) detail::zero_grad(group.params, set_to_none);
}

template <class Options, class State>
const State* OptimizerBase<Options, State>::state(const Tensor& param) const {
  auto it = state_.find(param.impl());
  return it == state_.end() ? nullptr : &it->second;
}

template <class Options, class State>
State& OptimizerBase<Options, State>::state_or_create(const Tensor& param) {
  auto [it, inserted] = state_.try_emplace(param.impl());
  if (inserted) state_order_.push_back(param.impl());
  return it->second;
}

template <class Options, class State>
Value OptimizerBase<Options, State>::state_dict() const {
  // Parameters are numbered across groups in order (no parameter is in two groups).
  std::unordered_map<const TensorImpl*, std::int64_t> index;
  Value groups = Value::list();
  for (const ParamGroup& group : param_groups_) {
    Value packed = Value::dict();
    write_options(*group.options, packed);
    if (group.initial_lr) packed.set("initial_lr", *group.initial_lr);
    for (std::size_t i = 0; i < group.extra.size(); ++i) {
      packed.set(group.extra.keys()[i], group.extra.values()[i]);
    }
    Value ids = Value::list();
    for (const Tensor& p : group.params) {
      const auto id = static_cast<std::int64_t>(index.size());
      index.emplace(p.impl(), id);
      ids.append(id);
    }
    packed.set("params", std::move(ids));
    groups.append(std::move(packed));
  }
  Value state = Value::dict();
  for (const TensorImpl* impl : state_order_) {
    auto it = index.find(impl);
    if (it == index.end()) continue;  // a parameter no longer in any group
    state.set(Key(it->second), state_.at(impl).to_value());
  }
  Value out = Value::dict();
  out.set("state", std::move(state));
  out.set("param_groups", std::move(groups));
  return out;
}

template <class Options, class State>
void OptimizerBase<Options, State>::load_state_dict(const Value& state_dict) {
  const std::string op = name_ + ".load_state_dict";
  std::vector<std::size_t> sizes;
  for (const ParamGroup& group : param_groups_) sizes.push_back(group.params.size());
  const auto [saved, saved_state] = detail::check_state_dict(op, state_dict, sizes);

  // Build everything new first, so that a bad state dict leaves the optimizer untouched.
  std::vector<ParamGroup> groups;
  std::unordered_map<std::int64_t, std::pair<Tensor, std::size_t>> id_map;  // -> (param, group)
  std::vector<std::string> known = option_key_names<Options>();
  for (std::size_t g = 0; g < saved->size(); ++g) {
    const Value& entry = (*saved)[g];
    const std::string where = str(op, ": param_groups[", g, "]");
    ParamGroup group(param_groups_[g].params, defaults_);
    read_options(*group.options, entry, where);
    group.options->validate();
    detail::read_group_extras(entry, known, where, group.initial_lr, group.extra);
    const std::vector<std::int64_t> ids = detail::read_param_ids(entry, where);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      id_map.emplace(ids[i], std::pair(group.params[i], g));
    }
    groups.push_back(std::move(group));
  }
  std::vector<std::pair<Tensor, State>> states;
  for (std::size_t k = 0; k < saved_state->size(); ++k) {
    const std::int64_t* id = std::get_if<std::int64_t>(&saved_state->keys()[k]);
    if (id == nullptr) continue;  // not a parameter index; PyTorch keeps these unused too
    auto it = id_map.find(*id);
    if (it == id_map.end()) continue;
    const auto& [param, g] = it->second;
    const std::string where = str(op, ": state[", *id, "]");
    const Value& entry = saved_state->values()[k];
    check(entry.is_dict(), where, " should be a dict, found a ", entry.kind_name());
    states.emplace_back(param, State::from_value(entry, param, *groups[g].options, where));
  }

  param_groups_ = std::move(groups);
  state_.clear();
  state_order_.clear();
  for (auto& [param, state] : states) state_or_create(param) = std::move(state);
}

}  // namespace ember::optim
