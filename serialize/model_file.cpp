// load_state_dict: each kind of model file is one source of weights; a pickled module's
// state_dict follows torch/nn/modules/module.py (state_dict, _save_to_state_dict).
#include "ember/serialize/model_file.h"

#include <algorithm>
#include <optional>

#include "ember/serialize/mapped_file.h"
#include "ember/serialize/serialize.h"
#include "ember/serialize/torchscript.h"

namespace ember {

namespace {
// "an int", "a dict", "an object of class argparse.Namespace": for messages.
std::string a_kind(const Value& v) {
  if (v.is_object()) return "an object of class " + v.class_name();
  if (v.is_none()) return "None";
  return (v.is_int() ? "an " : "a ") + std::string(v.kind_name());
}
}  // namespace

namespace serialize {

namespace {

const std::string& attribute_name(const Key& key, const Value& dict) {
  const auto* name = std::get_if<std::string>(&key);
  check(name != nullptr, dict.path(), ": expected attribute names (str), found the key ", key_str(key));
  return *name;
}

// The names in a module's _non_persistent_buffers_set: builtins.set([names]) as the pickle
// machine reads a set. Files from before PyTorch 1.6 have no such attribute.
std::vector<std::string> non_persistent_buffers(const Value& module) {
  std::vector<std::string> names;
  if (!module.hasattr("_non_persistent_buffers_set")) return names;
  const Value& set = module.getattr("_non_persistent_buffers_set");
  check(set.is_object() && set.class_name() == "builtins.set" && set.object_args().size() <= 1, set.path(),
        ": expected a set of buffer names, found ", set.is_object() ? set.class_name() : set.kind_name());
  if (set.object_args().size() == 0) return names;
  for (const Value& name : set.object_args()[0].items()) names.push_back(name.as_string());
  return names;
}

void save_to_state_dict(const Value& module, const std::string& prefix, nn::StateDict& out) {
  const Value& parameters = module.getattr("_parameters");
  for (const auto& [key, parameter] : parameters) {
    if (!parameter.is_none()) out.set(prefix + attribute_name(key, parameters), parameter.as_tensor().detach());
  }
  const std::vector<std::string> skipped = non_persistent_buffers(module);
  const Value& buffers = module.getattr("_buffers");
  for (const auto& [key, buffer] : buffers) {
    const std::string& name = attribute_name(key, buffers);
    if (buffer.is_none() || std::find(skipped.begin(), skipped.end(), name) != skipped.end()) continue;
    out.set(prefix + name, buffer.as_tensor().detach());
  }
  const Value& modules = module.getattr("_modules");
  for (const auto& [key, child] : modules) {
    if (child.is_none()) continue;
    check(is_pickled_module(child), child.path(), ": expected a torch.nn.Module, found ", a_kind(child));
    // The Value tree is as deep as the pickle machine's limits allow, so this recursion is too.
    save_to_state_dict(child, prefix + attribute_name(key, modules) + ".", out);
  }
}

}  // namespace

bool is_pickled_module(const Value& value) {
  if (!value.is_object() || value.object_origin() == Value::ObjectOrigin::global) return false;
  for (const char* name : {"_parameters", "_buffers", "_modules"}) {
    if (!value.hasattr(name) || !value.getattr(name).is_dict()) return false;
  }
  return true;
}

nn::StateDict pickled_module_state_dict(const Value& module) {
  check(is_pickled_module(module), module.path(), ": expected a pickled torch.nn.Module, found ", a_kind(module));
  nn::StateDict out;
  save_to_state_dict(module, "", out);
  return out;
}

}  // namespace serialize

namespace {

// A key as C++ code writes it: at("model_state_dict") or at(3).
std::string cpp_key(const Key& key) {
  if (const auto* s = std::get_if<std::string>(&key)) return "\"" + *s + "\"";
  return key_str(key);
}

bool is_state_dict(const Value& value) {
  if (!value.is_dict()) return false;
  for (const auto& [key, item] : value) {
    if (!std::holds_alternative<std::string>(key) || !item.is_tensor()) return false;
  }
  return true;
}

// The sources of weights, one per kind of file. Each gives nullopt for a file of another kind.
std::optional<nn::StateDict> from_whole_model(const Value& file) {
  if (!serialize::is_pickled_module(file)) return std::nullopt;
  return serialize::pickled_module_state_dict(file);
}

std::optional<nn::StateDict> from_state_dict(const Value& file) {
  if (!is_state_dict(file)) return std::nullopt;
  return nn::StateDict(file);
}

std::optional<nn::StateDict> from_torchscript(const std::string& path) {
  try {
    auto file = serialize::MappedFile::open(path);
    if (!serialize::is_torchscript_archive(*file)) return std::nullopt;
    return serialize::script_module_state_dict(serialize::load_torchscript(file).root);
  } catch (const SerializeError&) {
    throw;
  } catch (const Error& e) {
    throw SerializeError("load_state_dict", path, "", e.what());
  } catch (const std::bad_alloc&) {
    throw SerializeError("load_state_dict", path, "", "out of memory");
  }
}

// What a file that is neither holds, and where its weights may be.
std::string not_a_model(const Value& file) {
  const std::string expected = "; expected a whole model (torch.save(model)) or a state_dict (a dict of str -> tensor)";
  if (file.is_object()) return "the file holds " + a_kind(file) + ", not a torch.nn.Module" + expected;
  if (!file.is_dict()) return "the file holds " + a_kind(file) + expected;
  for (const auto& [key, item] : file) {
    const std::string at = "ember::load(path, LoadOptions().weights_only(false)).at(" + cpp_key(key) + ")";
    if (is_state_dict(item) && item.size() > 0) {
      return "the file holds a dict (a checkpoint?) whose entry " + key_str(key) +
             " is a state_dict: read it with nn::StateDict(" + at + ")";
    }
    if (serialize::is_pickled_module(item)) {
      return "the file holds a dict (a checkpoint?) whose entry " + key_str(key) + " is a whole model of class " +
             item.class_name() + ": read its weights with serialize::pickled_module_state_dict(" + at + ")";
    }
  }
  for (const auto& [key, item] : file) {
    if (!item.is_tensor()) {
      return "the file holds a dict whose entry " + key_str(key) + " is " + a_kind(item) + ", not a tensor" + expected;
    }
  }
  return "the file holds a dict with keys that are not str" + expected;
}

}  // namespace

nn::StateDict load_state_dict(const std::string& path) {
  // A TorchScript archive's modules say which attributes are weights in its code/ files, so it
  // is read as one, not as a pickle.
  if (std::optional<nn::StateDict> weights = from_torchscript(path)) return std::move(*weights);
  // Whatever ember::load reads (.pt, safetensors), as inert structure: a whole model's classes
  // are names, never imported. A kind of file that load does not read goes before this, as a
  // branch of its own.
  const Value file = load(path, LoadOptions().weights_only(false));
  try {
    for (auto source : {from_whole_model, from_state_dict}) {
      if (std::optional<nn::StateDict> weights = source(file)) return std::move(*weights);
    }
  } catch (const SerializeError&) {
    throw;
  } catch (const Error& e) {
    throw SerializeError("load_state_dict", path, "", e.what());
  }
  throw SerializeError("load_state_dict", path, "", not_a_model(file));
}

}  // namespace ember
