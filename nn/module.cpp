// Module: registration, the views derived from it, state_dict loading and PyTorch's repr.
#include "ember/nn/module.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <set>
#include <sstream>
#include <typeinfo>

#include "ember/tensor/autograd.h"
#include "ember/tensor/strided.h"

namespace ember::nn {

Tensor Module::forward(const Tensor&) {
  throw Error(str(type_name(), ": forward(Tensor) is not implemented for this module"));
}

namespace {
void check_name(const std::string& name, const char* what) {
  check(!name.empty() && name.find('.') == std::string::npos, "register_", what,
        ": name must be non-empty and contain no '.', found '", name, "'");
}
}  // namespace

Tensor Module::register_parameter(const std::string& name, Tensor tensor, bool requires_grad) {
  check_name(name, "parameter");
  check(find_slot(parameters_, name) == nullptr && find_slot(buffers_, name) == nullptr,
        "register_parameter: attribute '", name, "' already exists");
  check(tensor.defined(), "register_parameter: tensor for '", name, "' is undefined");
  // A parameter is a leaf: cut it from whatever graph made it.
  Tensor param = tensor.is_leaf() ? tensor : tensor.detach();
  param.requires_grad_(requires_grad);
  parameters_.push_back({name, param, true});
  return param;
}

Tensor Module::register_buffer(const std::string& name, Tensor tensor, bool persistent) {
  check_name(name, "buffer");
  check(find_slot(parameters_, name) == nullptr && find_slot(buffers_, name) == nullptr,
        "register_buffer: attribute '", name, "' already exists");
  buffers_.push_back({name, tensor, persistent});
  return tensor;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_name(name, "module");
  check(module != nullptr, "register_module: module '", name, "' is null");
  for (const auto& child : children_) {
    check(child.first != name, "register_module: attribute '", name, "' already exists");
  }
  children_.emplace_back(name, std::move(module));
}

const Module::Slot* Module::find_slot(const std::vector<Slot>& slots,
                                      const std::string& name) const {
  for (const Slot& s : slots) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

// ---- derived views -----------------------------------------------------------------------------

void Module::collect_parameters(const std::string& prefix, bool recurse,
                                std::vector<std::pair<std::string, Tensor>>& out) const {
  for (const Slot& s : parameters_) out.emplace_back(prefix + s.name, s.tensor);
  if (!recurse) return;
  for (const auto& [name, child] : children_) child->collect_parameters(prefix + name + ".", true, out);
}

void Module::collect_buffers(const std::string& prefix, bool recurse, bool persistent_only,
                             std::vector<std::pair<std::string, Tensor>>& out) const {
  for (const Slot& s : buffers_) {
    if (!persistent_only || s.persistent) out.emplace_back(prefix + s.name, s.tensor);
  }
  if (!recurse) return;
  for (const auto& [name, child] : children_) {
    child->collect_buffers(prefix + name + ".", true, persistent_only, out);
  }
}

namespace {
// PyTorch lists a tensor shared by two modules once (named_parameters removes duplicates).
std::vector<std::pair<std::string, Tensor>> unique(std::vector<std::pair<std::string, Tensor>> in) {
  std::set<TensorImpl*> seen;
  std::vector<std::pair<std::string, Tensor>> out;
  for (auto& item : in) {
    if (seen.insert(item.second.impl()).second) out.push_back(std::move(item));
  }
  return out;
}
}  // namespace

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect_parameters("", recurse, out);
  return unique(std::move(out));
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& item : named_parameters(recurse)) out.push_back(item.second);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect_buffers("", recurse, false, out);
  return unique(std::move(out));
}

std::vector<Tensor> Module::buffers(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& item : named_buffers(recurse)) out.push_back(item.second);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const {
  return children_;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& child : children_) out.push_back(child.second);
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out;
  std::set<Module*> seen;
  // Depth-first, parent before children, as torch.nn.Module.named_modules.
  std::vector<std::pair<std::string, Module*>> stack{{"", this}};
  while (!stack.empty()) {
    auto [prefix, module] = stack.back();
    stack.pop_back();
    if (!seen.insert(module).second) continue;
    out.emplace_back(prefix, module);
    for (auto it = module->children_.rbegin(); it != module->children_.rend(); ++it) {
      stack.emplace_back(prefix.empty() ? it->first : prefix + "." + it->first, it->second.get());
    }
  }
  return out;
}

std::vector<Module*> Module::modules() {
  std::vector<Module*> out;
  for (auto& item : named_modules()) out.push_back(item.second);
  return out;
}

namespace {
// The module that owns a dotted name ("features.0.weight" -> features.0) and the last part.
Module* owner_of(Module* root, const std::string& name, std::string& leaf) {
  const auto dot = name.rfind('.');
  leaf = dot == std::string::npos ? name : name.substr(dot + 1);
  if (dot == std::string::npos) return root;
  const std::string path = name.substr(0, dot);
  for (auto& [n, m] : root->named_modules()) {
    if (n == path) return m;
  }
  throw Error(str("Module: no submodule named '", path, "'"));
}
}  // namespace

Tensor& Module::parameter(const std::string& name) {
  std::string leaf;
  Module* owner = owner_of(this, name, leaf);
  for (Slot& s : owner->parameters_) {
    if (s.name == leaf) return s.tensor;
  }
  throw Error(str("Module: no parameter named '", name, "'"));
}

Tensor& Module::buffer(const std::string& name) {
  std::string leaf;
  Module* owner = owner_of(this, name, leaf);
  for (Slot& s : owner->buffers_) {
    if (s.name == leaf) return s.tensor;
  }
  throw Error(str("Module: no buffer named '", name, "'"));
}

// ---- training state ------------------------------------------------------------------------------

void Module::zero_grad(bool set_to_none) {
  for (Tensor& p : parameters()) {
    if (!p.grad().defined()) continue;
    if (set_to_none) {
      p.set_grad(Tensor());
    } else {
      NoGradGuard no_grad;
      p.grad().zero_();
    }
  }
}

void Module::train(bool on) {
  training_ = on;
  for (auto& child : children_) child.second->train(on);
}

void Module::requires_grad_(bool requires_grad) {
  for (Tensor& p : parameters()) p.requires_grad_(requires_grad);
}

void Module::to(Dtype dtype) {
  check(is_floating_point(dtype), "Module::to: expected a floating point dtype, found ",
        dtype_name(dtype));
  NoGradGuard no_grad;
  // Convert in place: every handle to a parameter (a layer's `weight` member, an optimizer's
  // list) keeps pointing at the same TensorImpl, which now holds the converted data.
  auto convert = [dtype](const Tensor& t) {
    if (!is_floating_point(t.dtype()) || t.dtype() == dtype) return;
    Tensor converted = t.to(dtype);
    TensorImpl* impl = t.impl();
    impl->storage = converted.storage();
    impl->dtype = dtype;
    impl->shape = converted.shape();
    impl->strides = converted.strides();
    impl->offset = 0;
    impl->grad.reset();
  };
  for (Module* m : modules()) {
    for (Slot& s : m->parameters_) convert(s.tensor);
    for (Slot& s : m->buffers_) convert(s.tensor);
  }
}

// ---- state_dict --------------------------------------------------------------------------------

void Module::collect_state(const std::string& prefix, StateDict& out) const {
  // "conv1." -> "conv1": the metadata keys are module prefixes without the trailing dot.
  out.set_version(prefix.empty() ? prefix : prefix.substr(0, prefix.size() - 1), version());
  for (const Slot& s : parameters_) out.set(prefix + s.name, s.tensor.detach());
  for (const Slot& s : buffers_) {
    if (s.persistent) out.set(prefix + s.name, s.tensor.detach());
  }
  for (const auto& [name, child] : children_) child->collect_state(prefix + name + ".", out);
}

StateDict Module::state_dict() const {
  StateDict out;
  collect_state("", out);
  return out;
}

// The state of one load: the keys that do not match, the other errors in the order PyTorch
// finds them, and the copies to make once everything is known to fit.
struct Module::LoadCheck {
  LoadResult keys;
  std::vector<std::string> errors;
  std::vector<std::pair<Tensor, Tensor>> copies;  // (into the module, from the state_dict)
};

// PyTorch's _load_from_state_dict for this module, checking instead of copying, then the same
// for each child with the entries under its prefix. entries are those under prefix.
void Module::check_load(const std::string& prefix, const std::vector<const StateDict::Item*>& entries,
                        LoadCheck& found) const {
  std::set<std::string> own;
  auto check_slot = [&](const Slot& slot) {
    own.insert(slot.name);
    const std::string key = prefix + slot.name;
    auto it = std::find_if(entries.begin(), entries.end(),
                           [&](const StateDict::Item* entry) { return entry->first == key; });
    if (it == entries.end()) {
      found.keys.missing_keys.push_back(key);
      return;
    }
    const Tensor& src = (*it)->second;
    if (!src.defined()) {
      found.errors.push_back("While copying the parameter named \"" + key +
                             "\", expected torch.Tensor or Tensor-like object from checkpoint but "
                             "received an undefined tensor");
    } else if (src.shape() != slot.tensor.shape()) {
      found.errors.push_back("size mismatch for " + key + ": copying a param with shape " +
                             size_repr(src.shape()) + " from checkpoint, the shape in current model is " +
                             size_repr(slot.tensor.shape()) + ".");
    } else {
      found.copies.emplace_back(slot.tensor, src);
    }
  };
  for (const Slot& slot : parameters_) check_slot(slot);
  for (const Slot& slot : buffers_) {
    if (slot.persistent) check_slot(slot);
  }

  // Every other entry goes to the child its next name component names, or is unexpected.
  // PyTorch passes over a few keys without a word ("fc1.weight.extra", a bare "fc1"); here
  // they are unexpected too, since strict promises that the keys match state_dict()'s.
  std::vector<std::vector<const StateDict::Item*>> routed(children_.size());
  for (const StateDict::Item* entry : entries) {
    const std::string rest = entry->first.substr(prefix.size());
    if (own.count(rest) != 0) continue;
    const auto dot = rest.find('.');
    const std::string child = dot == std::string::npos ? "" : rest.substr(0, dot);
    std::size_t c = 0;
    while (c < children_.size() && children_[c].first != child) ++c;
    if (c < children_.size()) routed[c].push_back(entry);
    else found.keys.unexpected_keys.push_back(entry->first);
  }
  for (std::size_t c = 0; c < children_.size(); ++c) {
    children_[c].second->check_load(prefix + children_[c].first + ".", routed[c], found);
  }
}

LoadResult Module::load_state_dict(const StateDict& state_dict, bool strict) {
  std::vector<const StateDict::Item*> entries;
  for (const StateDict::Item& item : state_dict) entries.push_back(&item);
  LoadCheck found;
  check_load("", entries, found);

  // PyTorch's wording, down to the space after the period of the two key lists.
  auto list = [](const std::vector<std::string>& keys) {
    std::string s;
    for (std::size_t i = 0; i < keys.size(); ++i) s += (i ? ", \"" : "\"") + keys[i] + "\"";
    return s;
  };
  std::vector<std::string> errors;
  if (strict && !found.keys.missing_keys.empty()) {
    errors.push_back("Missing key(s) in state_dict: " + list(found.keys.missing_keys) + ". ");
  }
  if (strict && !found.keys.unexpected_keys.empty()) {
    errors.push_back("Unexpected key(s) in state_dict: " + list(found.keys.unexpected_keys) + ". ");
  }
  errors.insert(errors.end(), found.errors.begin(), found.errors.end());
  if (!errors.empty()) {
    std::string message = "Error(s) in loading state_dict for " + type_name() + ":";
    for (const std::string& error : errors) message += "\n\t" + error;
    throw Error(message);
  }

  NoGradGuard no_grad;
  for (const auto& [dst, src] : found.copies) {
    // Loading a checkpoint into its own source is a no-op (same storage).
    if (src.storage() == dst.storage() && src.storage_offset() == dst.storage_offset()) continue;
    detail::copy_elements(dst, src);
    dst.storage()->bump_version();
  }
  return found.keys;
}

// ---- printing ----------------------------------------------------------------------------------

std::string Module::type_name() const {
  const char* mangled = typeid(*this).name();
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && demangled ? demangled : mangled;
  std::free(demangled);
  // Drop namespaces and template arguments: ember::nn::Conv2d -> Conv2d.
  const auto angle = name.find('<');
  if (angle != std::string::npos) name = name.substr(0, angle);
  const auto colon = name.rfind("::");
  return colon == std::string::npos ? name : name.substr(colon + 2);
}

std::string Module::repr() const {
  // As torch.nn.Module.__repr__: children on their own lines, nested ones indented by two
  // more spaces; a module without children prints on one line.
  std::string out = type_name() + "(";
  const std::string extra = extra_repr();
  if (children_.empty()) return out + extra + ")";
  out += "\n";
  if (!extra.empty()) out += "  " + extra + "\n";
  for (const auto& [name, child] : children_) {
    std::string child_repr = child->repr();
    // Indent every line after the first.
    std::string indented;
    for (char c : child_repr) {
      indented += c;
      if (c == '\n') indented += "  ";
    }
    out += "  (" + name + "): " + indented + "\n";
  }
  return out + ")";
}

std::ostream& operator<<(std::ostream& out, const Module& module) { return out << module.repr(); }

}  // namespace ember::nn
