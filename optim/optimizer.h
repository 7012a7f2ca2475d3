// Optimizer: what SGD, Adam and AdamW share — parameter groups, per-parameter state, and a
// state_dict in torch.optim's structure, so that checkpoints move between ember and PyTorch.
// Semantics: https://pytorch.org/docs/1.13/optim.html (torch/optim/optimizer.py).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "serialize/value.h"
#include "tensor/tensor.h"

namespace ember::optim {

// The hyperparameters of one parameter group. Each optimizer derives a plain options struct
// with chainable setters, as PyTorch's C++ frontend: SGDOptions(0.01).momentum(0.9).
class OptimizerOptions {
 public:
  virtual ~OptimizerOptions() = default;
  virtual std::unique_ptr<OptimizerOptions> clone() const = 0;
  // Every optimizer has a learning rate; LR schedulers change it through these.
  virtual double get_lr() const = 0;
  virtual void set_lr(double lr) = 0;
  // Adds the hyperparameters to a param_group dict: PyTorch's keys, in PyTorch's order.
  virtual void write(Value& group) const = 0;
  // Reads them from a loaded param_group dict. Keys PyTorch itself fills in for old
  // checkpoints (nesterov, maximize, foreach, ...) may be absent; the others must be there.
  virtual void read(const Value& group, const std::string& where) = 0;
  // The keys read() understands (the rest of a loaded group is kept as is).
  virtual std::vector<std::string> keys() const = 0;
};

// One group of parameters sharing hyperparameters (a dict in torch's param_groups), e.g. a
// smaller learning rate for the pretrained layers when fine-tuning:
//   SGD opt({ParamGroup(backbone), ParamGroup(head, SGDOptions(0.1))}, SGDOptions(0.01));
struct ParamGroup {
  // A group that takes the optimizer's default options.
  explicit ParamGroup(std::vector<Tensor> params);
  ParamGroup(std::vector<Tensor> params, const OptimizerOptions& options);
  ParamGroup(const ParamGroup& other);
  ParamGroup& operator=(const ParamGroup& other);
  ParamGroup(ParamGroup&&) = default;
  ParamGroup& operator=(ParamGroup&&) = default;
  ~ParamGroup() = default;

  std::vector<Tensor> params;
  std::unique_ptr<OptimizerOptions> options;  // the optimizer's defaults when none is given
  // group['initial_lr'], which an LR scheduler sets when it is constructed.
  std::optional<double> initial_lr;
  // Keys of a loaded param_group that this optimizer doesn't use, written back by state_dict
  // so that nothing is lost on the way through ember.
  Value extra = Value::dict();
};

// What an optimizer remembers about one parameter (SGD's momentum buffer, Adam's moments).
class ParamState {
 public:
  virtual ~ParamState() = default;
  // The entry state_dict()["state"][index]: PyTorch's keys, holding the live tensors.
  virtual Value to_value() const = 0;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Appends a group; a group without options gets a copy of the defaults. Parameters must be
  // leaves and appear in no other group (PyTorch's checks).
  void add_param_group(ParamGroup group);
  std::vector<ParamGroup>& param_groups() { return param_groups_; }
  const std::vector<ParamGroup>& param_groups() const { return param_groups_; }
  const OptimizerOptions& defaults() const { return *defaults_; }

  // Clears the gradients of all parameters: drops them (grad becomes undefined, so step()
  // skips the parameter) or, with set_to_none = false, fills them with zeros.
  void zero_grad(bool set_to_none = true);
  // One update of every parameter that has a gradient.
  virtual void step() = 0;

  // {"state": {index: {...}}, "param_groups": [{...hyperparameters..., "params": [0, 1, ...]}]}
  // with parameters numbered across groups in order, state only for parameters that have
  // some. As in PyTorch, the state tensors are the live ones (not copies): save the Value
  // before the next step, or deep-copy it.
  Value state_dict() const;
  // Restores hyperparameters and state from a state_dict of an optimizer of the same kind
  // over the same parameter layout. The state tensors are copied (cast to each parameter's
  // dtype), so the loaded Value and this optimizer never share memory. Throws Error before
  // changing anything if the groups don't match or a key is missing.
  void load_state_dict(const Value& state_dict);

  // The state of a parameter, or null before its first step.
  ParamState* state(const Tensor& param) const;
  std::size_t state_size() const { return state_order_.size(); }

 protected:
  // name is the optimizer's class name, for messages ("SGD"). The derived constructor then
  // calls add_param_groups (validate() is virtual, so the base constructor cannot).
  Optimizer(std::string name, std::unique_ptr<OptimizerOptions> defaults);
  // Validates the defaults and adds the groups; Error if there are no parameters at all.
  void add_param_groups(std::vector<ParamGroup> groups);

  // Throws Error if options are out of range ("Invalid learning rate: -0.1").
  virtual void validate(const OptimizerOptions& options) const = 0;
  // Builds a parameter's state from a loaded state entry, copying its tensors.
  virtual std::unique_ptr<ParamState> state_from_value(const Value& entry, const Tensor& param,
                                                       const OptimizerOptions& group_options,
                                                       const std::string& where) const = 0;
  // Stores a parameter's state; a new parameter goes last in state_dict's order, as in
  // Python's dict.
  void set_state(const Tensor& param, std::unique_ptr<ParamState> state);
  // The state of param, created empty on its first step (how every step() starts).
  template <class State>
  State& state_or_create(const Tensor& param) {
    if (state(param) == nullptr) set_state(param, std::make_unique<State>());
    return *static_cast<State*>(state(param));
  }

  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::unique_ptr<OptimizerOptions> defaults_;
  std::vector<ParamGroup> param_groups_;
  std::unordered_map<const TensorImpl*, std::unique_ptr<ParamState>> state_;
  std::vector<const TensorImpl*> state_order_;  // insertion order of state_
};

namespace detail {

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
// For optional keys: fallback when the key is absent.
double read_number_or(const Value& dict, const char* key, double fallback, const std::string& where);
bool read_bool_or(const Value& dict, const char* key, bool fallback, const std::string& where);
std::optional<bool> read_optional_bool_or(const Value& dict, const char* key,
                                          std::optional<bool> fallback, const std::string& where);
// A state tensor for param: entry[key] copied into a new contiguous tensor of param's dtype
// (when param is floating point), checked to have param's shape.
Tensor read_state_tensor(const Value& entry, const char* key, const Tensor& param,
                         const std::string& where);
// A new contiguous copy of t (never sharing memory with it), converted to dtype.
Tensor copy_as(const Tensor& t, Dtype dtype);

}  // namespace detail

}  // namespace ember::optim
