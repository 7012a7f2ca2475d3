// Optimizer base: parameter groups, zero_grad, and state_dict / load_state_dict in the
// structure of torch/optim/optimizer.py (PyTorch 1.13).
#include "optim/optimizer.h"

#include <algorithm>
#include <map>
#include <unordered_set>

#include "tensor/autograd.h"

namespace ember::optim {

// ---- ParamGroup -------------------------------------------------------------------------------

ParamGroup::ParamGroup(std::vector<Tensor> params) : params(std::move(params)) {}

ParamGroup::ParamGroup(std::vector<Tensor> params, const OptimizerOptions& options)
    : params(std::move(params)), options(options.clone()) {}

ParamGroup::ParamGroup(const ParamGroup& other)
    : params(other.params),
      options(other.options ? other.options->clone() : nullptr),
      initial_lr(other.initial_lr),
      extra(other.extra) {}

ParamGroup& ParamGroup::operator=(const ParamGroup& other) {
  if (this != &other) {
    params = other.params;
    options = other.options ? other.options->clone() : nullptr;
    initial_lr = other.initial_lr;
    extra = other.extra;
  }
  return *this;
}

// ---- Optimizer --------------------------------------------------------------------------------

Optimizer::Optimizer(std::string name, std::unique_ptr<OptimizerOptions> defaults)
    : name_(std::move(name)), defaults_(std::move(defaults)) {}

void Optimizer::add_param_groups(std::vector<ParamGroup> groups) {
  validate(*defaults_);
  const bool empty = groups.empty() || (groups.size() == 1 && groups[0].params.empty());
  check(!empty, name_, ": optimizer got an empty parameter list");
  for (ParamGroup& group : groups) add_param_group(std::move(group));
}

void Optimizer::add_param_group(ParamGroup group) {
  if (!group.options) group.options = defaults_->clone();
  validate(*group.options);
  std::unordered_set<const TensorImpl*> taken;
  for (const ParamGroup& existing : param_groups_) {
    for (const Tensor& p : existing.params) taken.insert(p.impl());
  }
  for (std::size_t i = 0; i < group.params.size(); ++i) {
    const Tensor& p = group.params[i];
    check(p.defined(), name_, ": parameter ", i, " of the new group is an undefined tensor");
    check(p.is_leaf(), name_, ": can't optimize a non-leaf Tensor (parameter ", i,
          " of the new group has grad_fn; pass a leaf, e.g. tensor.detach().requires_grad_())");
    check(taken.insert(p.impl()).second, name_,
          ": some parameters appear in more than one parameter group");
  }
  param_groups_.push_back(std::move(group));
}

void Optimizer::zero_grad(bool set_to_none) {
  NoGradGuard no_grad;
  for (ParamGroup& group : param_groups_) {
    for (Tensor& p : group.params) {
      Tensor grad = p.grad();
      if (!grad.defined()) continue;
      if (set_to_none) {
        p.set_grad(Tensor());
      } else {
        grad.zero_();
      }
    }
  }
}

ParamState* Optimizer::state(const Tensor& param) const {
  auto it = state_.find(param.impl());
  return it == state_.end() ? nullptr : it->second.get();
}

void Optimizer::set_state(const Tensor& param, std::unique_ptr<ParamState> state) {
  auto [it, inserted] = state_.try_emplace(param.impl());
  if (inserted) state_order_.push_back(param.impl());
  it->second = std::move(state);
}

Value Optimizer::state_dict() const {
  // Parameters are numbered across groups in order; a parameter keeps its first number.
  std::unordered_map<const TensorImpl*, std::int64_t> index;
  Value groups = Value::list();
  std::int64_t next = 0;
  for (const ParamGroup& group : param_groups_) {
    Value packed = Value::dict();
    group.options->write(packed);
    if (group.initial_lr) packed.set("initial_lr", *group.initial_lr);
    for (std::size_t i = 0; i < group.extra.size(); ++i) {
      packed.set(group.extra.keys()[i], group.extra.values()[i]);
    }
    Value ids = Value::list();
    for (const Tensor& p : group.params) {
      auto it = index.try_emplace(p.impl(), next + static_cast<std::int64_t>(ids.size())).first;
      ids.append(it->second);
    }
    next += static_cast<std::int64_t>(group.params.size());
    packed.set("params", std::move(ids));
    groups.append(std::move(packed));
  }
  Value state = Value::dict();
  for (const TensorImpl* impl : state_order_) {
    auto it = index.find(impl);
    if (it == index.end()) continue;  // a parameter no longer in any group
    state.set(Key(it->second), state_.at(impl)->to_value());
  }
  Value out = Value::dict();
  out.set("state", std::move(state));
  out.set("param_groups", std::move(groups));
  return out;
}

void Optimizer::load_state_dict(const Value& state_dict) {
  const std::string op = name_ + ".load_state_dict";
  check(state_dict.is_dict(), op, ": expected a dict with 'state' and 'param_groups', found a ",
        state_dict.kind_name());
  const Value* saved_groups = state_dict.find(Key(std::string("param_groups")));
  const Value* saved_state = state_dict.find(Key(std::string("state")));
  check(saved_groups != nullptr, op, ": the state dict has no key 'param_groups'");
  check(saved_state != nullptr, op, ": the state dict has no key 'state'");
  check(saved_groups->is_sequence(), op, ": 'param_groups' should be a list, found a ",
        saved_groups->kind_name());
  check(saved_state->is_dict(), op, ": 'state' should be a dict, found a ",
        saved_state->kind_name());

  // PyTorch's two checks, in its words, plus the numbers.
  const std::vector<Value>& saved = saved_groups->items();
  check(saved.size() == param_groups_.size(),
        "loaded state dict has a different number of parameter groups (optimizer: ",
        param_groups_.size(), ", state dict: ", saved.size(), ")");
  for (std::size_t g = 0; g < saved.size(); ++g) {
    const std::string where = str(op, ": param_groups[", g, "]");
    check(saved[g].is_dict(), where, " should be a dict, found a ", saved[g].kind_name());
    const Value* ids = saved[g].find(Key(std::string("params")));
    check(ids != nullptr, where, " has no key 'params'");
    check(ids->is_sequence(), where, "['params'] should be a list, found a ", ids->kind_name());
    check(ids->size() == param_groups_[g].params.size(),
          "loaded state dict contains a parameter group that doesn't match the size of "
          "optimizer's group (group ", g, ": optimizer has ", param_groups_[g].params.size(),
          " parameters, state dict ", ids->size(), ")");
  }

  // Build everything new first, so that a bad state dict leaves the optimizer untouched.
  std::vector<ParamGroup> groups;
  std::map<std::int64_t, std::pair<Tensor, std::size_t>> id_map;  // saved id -> (param, group)
  for (std::size_t g = 0; g < saved.size(); ++g) {
    const std::string where = str(op, ": param_groups[", g, "]");
    ParamGroup group(param_groups_[g].params, *defaults_);
    group.options->read(saved[g], where);
    validate(*group.options);
    std::vector<std::string> known = group.options->keys();
    known.push_back("initial_lr");
    known.push_back("params");
    for (std::size_t k = 0; k < saved[g].size(); ++k) {
      const Key& key = saved[g].keys()[k];
      const std::string* name = std::get_if<std::string>(&key);
      if (name && *name == "initial_lr") {
        group.initial_lr = detail::read_number(saved[g], "initial_lr", where);
      } else if (!name || std::find(known.begin(), known.end(), *name) == known.end()) {
        group.extra.set(key, saved[g].values()[k]);
      }
    }
    const std::vector<Value>& ids = saved[g].at("params").items();
    for (std::size_t i = 0; i < ids.size(); ++i) {
      check(ids[i].is_int(), where, "['params'][", i, "] should be an int, found a ",
            ids[i].kind_name());
      id_map.emplace(ids[i].as_int(), std::make_pair(group.params[i], g));
    }
    groups.push_back(std::move(group));
  }

  std::vector<std::pair<Tensor, std::unique_ptr<ParamState>>> states;
  {
    NoGradGuard no_grad;
    for (std::size_t k = 0; k < saved_state->size(); ++k) {
      const std::int64_t* id = std::get_if<std::int64_t>(&saved_state->keys()[k]);
      if (id == nullptr) continue;  // not a parameter index; PyTorch keeps these unused too
      auto it = id_map.find(*id);
      if (it == id_map.end()) continue;
      const auto& [param, g] = it->second;
      const std::string where = str(op, ": state[", *id, "]");
      const Value& entry = saved_state->values()[k];
      check(entry.is_dict(), where, " should be a dict, found a ", entry.kind_name());
      states.emplace_back(param, state_from_value(entry, param, *groups[g].options, where));
    }
  }

  param_groups_ = std::move(groups);
  state_.clear();
  state_order_.clear();
  for (auto& [param, state] : states) set_state(param, std::move(state));
}

// ---- helpers for the optimizers' options and state ---------------------------------------------

namespace detail {

Value number_or_int_zero(double value) {
  if (value == 0.0) return Value(0);
  return Value(value);
}

namespace {
const Value& require(const Value& dict, const char* key, const std::string& where) {
  const Value* v = dict.find(Key(std::string(key)));
  check(v != nullptr, where, " has no key '", key, "'");
  return *v;
}
}  // namespace

double read_number(const Value& dict, const char* key, const std::string& where) {
  const Value& v = require(dict, key, where);
  check(v.is_number(), where, "['", key, "'] should be a number, found a ", v.kind_name());
  return v.as_double();
}

bool read_bool(const Value& dict, const char* key, const std::string& where) {
  const Value& v = require(dict, key, where);
  check(v.is_bool(), where, "['", key, "'] should be a bool, found a ", v.kind_name());
  return v.as_bool();
}

std::int64_t read_int(const Value& dict, const char* key, const std::string& where) {
  const Value& v = require(dict, key, where);
  check(v.is_int(), where, "['", key, "'] should be an int, found a ", v.kind_name());
  return v.as_int();
}

std::vector<double> read_number_list(const Value& dict, const char* key,
                                     const std::string& where) {
  const Value& v = require(dict, key, where);
  check(v.is_sequence(), where, "['", key, "'] should be a list, found a ", v.kind_name());
  std::vector<double> out;
  for (const Value& item : v.items()) {
    check(item.is_number(), where, "['", key, "'] should hold numbers, found a ",
          item.kind_name());
    out.push_back(item.as_double());
  }
  return out;
}

Value number_list(const std::vector<double>& values) {
  Value list = Value::list();
  for (double v : values) list.append(v);
  return list;
}

double read_number_or(const Value& dict, const char* key, double fallback,
                      const std::string& where) {
  return dict.contains(Key(std::string(key))) ? read_number(dict, key, where) : fallback;
}

bool read_bool_or(const Value& dict, const char* key, bool fallback, const std::string& where) {
  return dict.contains(Key(std::string(key))) ? read_bool(dict, key, where) : fallback;
}

std::optional<bool> read_optional_bool_or(const Value& dict, const char* key,
                                          std::optional<bool> fallback,
                                          const std::string& where) {
  const Value* v = dict.find(Key(std::string(key)));
  if (v == nullptr) return fallback;
  if (v->is_none()) return std::nullopt;
  return read_bool(dict, key, where);
}

Tensor copy_as(const Tensor& t, Dtype dtype) {
  NoGradGuard no_grad;
  Tensor out = t.dtype() == dtype ? t.clone() : t.to(dtype);
  return out.contiguous().detach();
}

Tensor read_state_tensor(const Value& entry, const char* key, const Tensor& param,
                         const std::string& where) {
  const Value& v = require(entry, key, where);
  check(v.is_tensor(), where, "['", key, "'] should be a tensor, found a ", v.kind_name());
  const Tensor& t = v.as_tensor();
  check(t.shape() == param.shape(), where, "['", key, "'] has shape ", t.shape(),
        ", expected the parameter's shape ", param.shape());
  return copy_as(t, is_floating_point(param.dtype()) ? param.dtype() : t.dtype());
}

}  // namespace detail

}  // namespace ember::optim
