// Module: the base of every layer and model, with parameters, buffers and submodules
// registered once, by name, in the constructor (PyTorch's torch.nn.Module).
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ember/nn/state_dict.h"
#include "ember/tensor/tensor.h"

namespace ember::nn {

// What a non-strict load_state_dict found (PyTorch's _IncompatibleKeys).
struct LoadResult {
  std::vector<std::string> missing_keys;
  std::vector<std::string> unexpected_keys;
};

// Everything a Module knows derives from what its constructor registered:
//   register_parameter("weight", ...) -> named_parameters() yields "weight", and a parent that
//   registered this module as "conv1" yields "conv1.weight"; parameters(), state_dict(),
//   zero_grad() and the optimizer all read from that one registration.
// Modules are held by std::shared_ptr, as in PyTorch's C++ frontend.
class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The single-input forward pass. Layers and Sequential override it; a model class may define
  // its own forward with other signatures instead.
  virtual Tensor forward(const Tensor& input);
  Tensor operator()(const Tensor& input) { return forward(input); }

  // ---- registration (call from the constructor) ----------------------------------------------
  // Makes tensor a leaf that requires grad and returns a handle to the registered parameter.
  Tensor register_parameter(const std::string& name, Tensor tensor, bool requires_grad = true);
  // Buffers are state that is not trained (BatchNorm's running_mean). Non-persistent ones are
  // left out of state_dict.
  Tensor register_buffer(const std::string& name, Tensor tensor, bool persistent = true);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

  // ---- derived views of the registration -----------------------------------------------------
  std::vector<std::pair<std::string, Tensor>> named_parameters(bool recurse = true) const;
  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_buffers(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
  std::vector<std::shared_ptr<Module>> children() const;
  // This module first (with key ""), then every descendant depth-first, as PyTorch orders them.
  // A module reachable twice is listed once.
  std::vector<std::pair<std::string, Module*>> named_modules();
  std::vector<Module*> modules();

  // Parameter or buffer by dotted name; throws Error if absent.
  Tensor& parameter(const std::string& name);
  Tensor& buffer(const std::string& name);

  // ---- training state ------------------------------------------------------------------------
  void zero_grad(bool set_to_none = true);
  // Sets training mode on this module and all descendants.
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Freezes (false) or unfreezes (true) every parameter of this module and its descendants.
  void requires_grad_(bool requires_grad = true);
  // Converts floating-point parameters and buffers to dtype (integer buffers stay).
  void to(Dtype dtype);

  // ---- state_dict ----------------------------------------------------------------------------
  // Parameters and persistent buffers, in PyTorch's order: each module's own parameters, then
  // its own buffers, then its children's, recursively. The tensors are detached handles to the
  // live data (as PyTorch's state_dict is): clone them to keep a snapshot.
  StateDict state_dict() const;
  // The format version of this module's state (PyTorch's Module._version), recorded in the
  // state_dict's metadata. A layer whose saved state changed shape over time overrides it.
  virtual std::int64_t version() const { return 1; }
  // Copies values in place under no-grad. As PyTorch's load_state_dict, every problem goes
  // into one Error, missing keys first, then unexpected keys, then each size mismatch:
  //   Error(s) in loading state_dict for TheModelClass:
  //   	Missing key(s) in state_dict: "conv1.bias".
  //   	size mismatch for fc1.weight: copying a param with shape torch.Size([84, 120]) from
  //   checkpoint, the shape in current model is torch.Size([120, 400]).
  // strict=false returns the missing and unexpected keys instead; size mismatches still throw.
  // Nothing is written unless everything fits, so a failed load leaves the module unchanged
  // (PyTorch has by then copied the tensors that fit).
  LoadResult load_state_dict(const StateDict& state_dict, bool strict = true);

  // ---- printing ------------------------------------------------------------------------------
  // The class name as PyTorch prints it ("Conv2d"; a user's class by its C++ name).
  virtual std::string type_name() const;
  // What goes between the parentheses: "3, 6, kernel_size=(5, 5), stride=(1, 1)".
  virtual std::string extra_repr() const { return ""; }
  // PyTorch's repr: the type, then "(name): child" lines indented by two spaces.
  std::string repr() const;

 protected:
  void add_child(const std::string& name, std::shared_ptr<Module> module);

 private:
  struct Slot {
    std::string name;
    Tensor tensor;
    bool persistent = true;  // buffers only
  };
  const Slot* find_slot(const std::vector<Slot>& slots, const std::string& name) const;
  void collect_parameters(const std::string& prefix, bool recurse,
                          std::vector<std::pair<std::string, Tensor>>& out) const;
  void collect_buffers(const std::string& prefix, bool recurse, bool persistent_only,
                       std::vector<std::pair<std::string, Tensor>>& out) const;
  void collect_state(const std::string& prefix, StateDict& out) const;
  // What checking a state_dict against the module tree found (defined in module.cpp).
  struct LoadCheck;
  void check_load(const std::string& prefix, const std::vector<const StateDict::Item*>& entries,
                  LoadCheck& found) const;

  std::vector<Slot> parameters_;
  std::vector<Slot> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

// Prints module.repr().
std::ostream& operator<<(std::ostream& out, const Module& module);

}  // namespace ember::nn
