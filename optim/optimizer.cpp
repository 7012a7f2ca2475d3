// Optimizer base: the parts of OptimizerBase that don't depend on the options' type — the
// parameter checks, zero_grad, and the structure of a state_dict as torch/optim/optimizer.py
// (PyTorch 1.13) reads it — and the readers of param_group keys (option_keys.h).
#include "ember/optim/optimizer.h"

#include <algorithm>
#include <unordered_set>

#include "ember/tensor/autograd.h"

namespace ember::optim {

namespace detail {

void check_new_params(const std::string& name, const std::vector<Tensor>& params,
                      const std::vector<std::vector<Tensor>>& taken) {
  std::unordered_set<const TensorImpl*> seen;
  for (const std::vector<Tensor>& group : taken) {
    for (const Tensor& p : group) seen.insert(p.impl());
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    check(p.defined(), name, ": parameter ", i, " of the new group is an undefined tensor");
    check(p.is_leaf(), name, ": can't optimize a non-leaf Tensor (parameter ", i,
          " of the new group has grad_fn; pass a leaf, e.g. tensor.detach().requires_grad_())");
    check(seen.insert(p.impl()).second, name,
          ": some parameters appear in more than one parameter group");
  }
}

void zero_grad(const std::vector<Tensor>& params, bool set_to_none) {
  NoGradGuard no_grad;
  for (const Tensor& p : params) {
    Tensor grad = p.grad();
    if (!grad.defined()) continue;
    if (set_to_none) {
      p.set_grad(Tensor());
    } else {
      grad.zero_();
    }
  }
}

std::pair<const std::vector<Value>*, const Value*> check_state_dict(
    const std::string& op, const Value& state_dict, const std::vector<std::size_t>& group_sizes) {
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
  check(saved.size() == group_sizes.size(),
        "loaded state dict has a different number of parameter groups (optimizer: ",
        group_sizes.size(), ", state dict: ", saved.size(), ")");
  for (std::size_t g = 0; g < saved.size(); ++g) {
    const std::string where = str(op, ": param_groups[", g, "]");
    check(saved[g].is_dict(), where, " should be a dict, found a ", saved[g].kind_name());
    const Value* ids = saved[g].find(Key(std::string("params")));
    check(ids != nullptr, where, " has no key 'params'");
    check(ids->is_sequence(), where, "['params'] should be a list, found a ", ids->kind_name());
    check(ids->size() == group_sizes[g],
          "loaded state dict contains a parameter group that doesn't match the size of "
          "optimizer's group (group ", g, ": optimizer has ", group_sizes[g],
          " parameters, state dict ", ids->size(), ")");
  }
  return {&saved, saved_state};
}

void read_group_extras(const Value& group, const std::vector<std::string>& known,
                       const std::string& where, std::optional<double>& initial_lr,
                       Value& extra) {
  for (std::size_t k = 0; k < group.size(); ++k) {
    const Key& key = group.keys()[k];
    const std::string* name = std::get_if<std::string>(&key);
    if (name && *name == "initial_lr") {
      initial_lr = read_number(group, "initial_lr", where);
    } else if (!name || (*name != "params" &&
                         std::find(known.begin(), known.end(), *name) == known.end())) {
      extra.set(key, group.values()[k]);
    }
  }
}

std::vector<std::int64_t> read_param_ids(const Value& group, const std::string& where) {
  std::vector<std::int64_t> out;
  const std::vector<Value>& ids = group.at("params").items();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    check(ids[i].is_int(), where, "['params'][", i, "] should be an int, found a ",
          ids[i].kind_name());
    out.push_back(ids[i].as_int());
  }
  return out;
}

namespace {
const Value& require(const Value& dict, const char* key, const std::string& where) {
  const Value* v = dict.find(Key(std::string(key)));
  check(v != nullptr, where, " has no key '", key, "'");
  return *v;
}
}  // namespace

// ---- the param_group keys of option_keys.h ----------------------------------------------------

Value option_to_value(double value, bool zero_as_int) {
  return zero_as_int ? number_or_int_zero(value) : Value(value);
}

Value option_to_value(std::int64_t value, bool) { return Value(value); }

Value option_to_value(bool value, bool) { return Value(value); }

Value option_to_value(std::optional<bool> value, bool) {
  return value ? Value(*value) : Value();
}

Value option_to_value(std::pair<double, double> value, bool) {
  return Value::tuple({value.first, value.second});
}

Value option_to_value(const std::string& value, bool) { return Value(value); }

Value option_to_value(const std::vector<double>& value, bool zero_as_int) {
  Value list = Value::list();
  for (double v : value) list.append(option_to_value(v, zero_as_int));
  return list;
}

void option_from_value(const Value& group, const char* key, const std::string& where,
                       double& out) {
  out = read_number(group, key, where);
}

void option_from_value(const Value& group, const char* key, const std::string& where,
                       std::int64_t& out) {
  out = read_int(group, key, where);
}

void option_from_value(const Value& group, const char* key, const std::string& where,
                       bool& out) {
  out = read_bool_or(group, key, false, where);
}

void option_from_value(const Value& group, const char* key, const std::string& where,
                       std::optional<bool>& out) {
  const Value* v = group.find(Key(std::string(key)));
  if (v == nullptr || v->is_none()) {
    out = std::nullopt;
  } else {
    out = read_bool(group, key, where);
  }
}

void option_from_value(const Value& group, const char* key, const std::string& where,
                       std::pair<double, double>& out) {
  const Value* v = group.find(Key(std::string(key)));
  check(v != nullptr, where, " has no key '", key, "'");
  check(v->is_sequence() && v->size() == 2 && v->items()[0].is_number() &&
            v->items()[1].is_number(),
        where, "['", key, "'] should be a tuple of two numbers, found a ", v->kind_name());
  out = {v->items()[0].as_double(), v->items()[1].as_double()};
}

void option_from_value(const Value& group, const char* key, const std::string& where,
                       std::string& out) {
  const Value& v = require(group, key, where);
  check(v.is_string(), where, "['", key, "'] should be a string, found a ", v.kind_name());
  out = v.as_string();
}

void option_from_value(const Value& group, const char* key, const std::string& where,
                       std::vector<double>& out) {
  out = read_number_list(group, key, where);
}

// ---- helpers for the optimizers' and schedulers' state ------------------------------------------


Value number_or_int_zero(double value) {
  if (value == 0.0) return Value(0);
  return Value(value);
}

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

bool read_bool_or(const Value& dict, const char* key, bool fallback, const std::string& where) {
  return dict.contains(Key(std::string(key))) ? read_bool(dict, key, where) : fallback;
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
