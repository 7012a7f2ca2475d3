// The torch.nn classes that ember rebuilds from a whole-model file and writes back into one:
// one row per class, holding both directions, so that reading and writing cannot drift apart.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ember/core/value.h"
#include "ember/nn/conv_utils.h"
#include "ember/nn/module.h"

namespace ember::serialize {

// A pickled torch.nn module as ember::load(path, LoadOptions().weights_only(false)) reads it:
// the object and the dotted path of the module in the model ("" for the root, "features.0"),
// with typed reads of the attributes in its __dict__. Errors name the module, its class and
// the attribute:
//   features.0 (torch.nn.modules.conv.Conv2d): attribute 'stride': expected an int or a tuple
//   of 2 ints, found str
class PickledModule {
 public:
  PickledModule(const Value& object, std::string path);

  const std::string& class_name() const { return object_.class_name(); }
  const std::string& path() const { return path_; }
  bool training() const;

  std::int64_t integer(const std::string& name) const;
  double real(const std::string& name) const;  // an int is accepted, as Python's float() would
  bool boolean(const std::string& name) const;
  std::string string(const std::string& name) const;
  // An int (kernel_size=2) or a tuple of two ints ((3, 3)), as PyTorch stores them.
  nn::Pair pair(const std::string& name) const;
  bool is_none(const std::string& name) const;
  bool has_string(const std::string& name) const;
  bool has_attribute(const std::string& name) const;
  // The attribute as it was pickled, for the few that are neither numbers nor pairs.
  const Value& attribute_value(const std::string& name) const;
  // Whether _parameters[name] holds a tensor (a bias=False layer holds None there).
  bool has_parameter(const std::string& name) const;
  // The submodules in _modules, in order, as (name, pickled module); None entries are skipped,
  // as PyTorch's named_children() skips them.
  std::vector<std::pair<std::string, PickledModule>> children() const;

  // Throws Error "<where>: <what>", where is the module's path and class.
  [[noreturn]] void fail(const std::string& what) const;

 private:
  const Value& attribute(const std::string& name) const;

  const Value& object_;
  std::string path_;
};

// One torch.nn class: its Python name and both directions.
struct TorchModuleClass {
  const char* python_name;  // "torch.nn.modules.conv.Conv2d"
  // Whether module is exactly this class (a user's subclass of Sequential is not).
  bool (*matches)(const nn::Module& module);
  // The ember module the pickled one's attributes describe, without its tensors; children are
  // added by the caller (Sequential and ModuleList only).
  std::shared_ptr<nn::Module> (*build)(const PickledModule& pickled);
  // Adds the class's own attributes (after torch.nn.Module's), in the order its __init__ sets
  // them, to dict.
  void (*write_attributes)(const nn::Module& module, Value& dict);
  // The names the class registers in _parameters and _buffers, in order, written as None when
  // the ember module has no such tensor (Conv2d(bias=False) holds 'bias': None).
  std::vector<const char*> parameters;
  std::vector<const char*> buffers;
};

// The row for a Python class name, or nullptr.
const TorchModuleClass* find_torch_module_class(const std::string& python_name);
// The row for an ember module, or nullptr for a class PyTorch has no counterpart of.
const TorchModuleClass* find_torch_module_class(const nn::Module& module);
// "Sequential, ModuleList, Conv2d, ...": the short names, for messages.
std::string torch_module_class_names();

}  // namespace ember::serialize
