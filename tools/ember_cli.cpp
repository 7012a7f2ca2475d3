// The `ember` command: look inside checkpoints and convert them, without Python.
//
//   ember inspect ckpt.pt            keys, dtypes, shapes, scalars, param_groups
//   ember inspect entire_model.pt    a whole model (torch.save(model)) as its module tree
//   ember inspect scripted.pt        a TorchScript archive (torch.jit.save) as its module tree
//   ember inspect --json ckpt.pt     the same tree as JSON (tensors as dtype, shape and sum;
//                                    inf and nan as Python's json writes them: Infinity, NaN)
//   ember convert model.pt model.safetensors   (.pt <-> .safetensors, by extension)
//   ember convert entire_model.pt weights.pt --state-dict   the model's flat state_dict (whole
//                                    models, TorchScript archives, state_dicts)
//
// Both read pickled Python objects as inert structure (class names and attributes); nothing in
// a file is imported or run.
// A file that cannot be read gives one line on stderr and exit code 1.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ember/serialize/model_file.h"
#include "ember/serialize/serialize.h"
#include "ember/serialize/torchscript.h"

using ember::Key;
using ember::Tensor;
using ember::Value;

namespace {

std::string shape_text(const Tensor& t) {
  std::string s = "[";
  for (std::size_t i = 0; i < t.shape().size(); ++i) s += (i ? ", " : "") + std::to_string(t.shape()[i]);
  return s + "]";
}

std::string key_text(const Key& key) {
  if (const auto* s = std::get_if<std::string>(&key)) return *s;
  return std::to_string(std::get<std::int64_t>(key));
}

// An object that prints on one line: a reference to a class or function, a set, or any
// object given no state or items (a numpy scalar, a torch.device).
bool is_flat_object(const Value& v) {
  return v.object_origin() == Value::ObjectOrigin::global ||
         (v.object_state().is_none() && v.object_listitems().size() == 0 && v.object_dictitems().size() == 0);
}

bool is_scalar(const Value& v) {
  if (v.is_object()) return is_flat_object(v);
  return !v.is_dict() && !v.is_sequence() && !v.is_tensor();
}

// A Python-like one-line repr, for scalars and for small containers of scalars; tensors as
// their dtype and shape.
std::string repr(const Value& v) {
  return ember::python_repr(v, [](const Tensor& t) { return std::string(ember::dtype_name(t.dtype())) + " " + shape_text(t); });
}

// Flat enough to print on one line: scalars, and containers holding only scalars (or lists of
// them), such as an optimizer's param_group.
bool is_flat(const Value& v, int depth = 0) {
  if (is_scalar(v)) return true;
  if (v.is_tensor() || v.is_object() || depth > 1) return false;
  const std::vector<Value>& items = v.is_dict() ? v.values() : v.items();
  for (const Value& item : items) {
    if (!is_flat(item, depth + 1)) return false;
  }
  return true;
}

std::int64_t parameter_count(const Value& v) {
  std::int64_t n = 0;
  for (const Value& item : v.values()) n += item.is_tensor() ? item.as_tensor().numel() : 0;
  return n;
}

void print_tree(std::ostream& out, const Value& v, const std::string& indent);

// An object's __dict__: its state when that is a dict, else an empty one.
const Value& attribute_dict(const Value& v) {
  static const Value empty = Value::dict();
  return v.object_state().is_dict() ? v.object_state() : empty;
}

// A module's heading: its class and its plain settings, as PyTorch's repr shows them:
// torch.nn.modules.linear.Linear(in_features=4, out_features=2). A TorchScript module names
// its parameters and buffers (`skip`), which may hold None.
std::string module_title(const std::string& class_name, const Value& module, const std::vector<std::string>& skip = {}) {
  std::string settings;
  for (const auto& [key, item] : attribute_dict(module)) {
    const std::string name = key_text(key);
    if (name.empty() || name[0] == '_' || name == "training" || ember::serialize::is_pickled_module(item) ||
        !is_flat(item) || std::find(skip.begin(), skip.end(), name) != skip.end()) {
      continue;
    }
    settings += (settings.empty() ? "" : ", ") + name + "=" + repr(item);
  }
  return class_name + (settings.empty() ? "" : "(" + settings + ")");
}
std::string module_title(const Value& module) { return module_title(module.class_name(), module); }

std::vector<std::string> non_persistent_buffers(const Value& module) {
  std::vector<std::string> names;
  if (!module.hasattr("_non_persistent_buffers_set")) return names;
  const Value& set = module.getattr("_non_persistent_buffers_set");
  if (!set.is_object() || set.object_args().size() != 1) return names;
  for (const Value& name : set.object_args()[0].items()) names.push_back(name.is_string() ? name.as_string() : "");
  return names;
}

// A whole model's module tree: under each module its parameters and buffers, then its
// submodules, as the state_dict's dotted keys nest.
void print_module(std::ostream& out, const Value& module, const std::string& indent) {
  const Value& parameters = module.getattr("_parameters");
  const Value& buffers = module.getattr("_buffers");
  const std::vector<std::string> skipped = non_persistent_buffers(module);
  std::size_t width = 0;
  for (const Value* tensors : {&parameters, &buffers}) {
    for (const Key& k : tensors->keys()) width = std::max(width, key_text(k).size());
  }
  for (const Value* tensors : {&parameters, &buffers}) {
    for (const auto& [key, item] : *tensors) {
      const std::string name = key_text(key);
      out << indent << name << std::string(width - name.size() + 2, ' ') << repr(item);
      if (tensors == &buffers) {
        const bool persistent = std::find(skipped.begin(), skipped.end(), name) == skipped.end();
        out << (persistent ? "  (buffer)" : "  (buffer, not in the state_dict)");
      }
      out << "\n";
    }
  }
  for (const auto& [key, child] : module.getattr("_modules")) {
    if (!ember::serialize::is_pickled_module(child)) {
      out << indent << key_text(key) << ": " << repr(child) << "\n";
      continue;
    }
    out << indent << key_text(key) << ": " << module_title(child) << "\n";
    print_module(out, child, indent + "  ");
  }
}

// An object that takes more than a line: a module's tree, or any other object's state.
void print_object(std::ostream& out, const Value& v, const std::string& indent) {
  if (ember::serialize::is_pickled_module(v)) {
    print_module(out, v, indent);
  } else if (!v.object_state().is_none()) {
    print_tree(out, v.object_state(), indent);
  } else {
    out << indent << repr(v) << "\n";
  }
}

std::string object_heading(const Value& v) {
  if (ember::serialize::is_pickled_module(v)) return module_title(v);
  return v.class_name() + (v.object_origin() == Value::ObjectOrigin::reduce ? " (made by a call)" : " object");
}

// The tutorial's view: one line per key, tensors as dtype and shape, nested dicts indented.
void print_tree(std::ostream& out, const Value& v, const std::string& indent) {
  if (v.is_object() && !is_flat_object(v)) {
    out << indent << object_heading(v) << "\n";
    print_object(out, v, indent + "  ");
  } else if (v.is_dict()) {
    std::size_t width = 0;
    for (const Key& k : v.keys()) width = std::max(width, key_text(k).size());
    for (std::size_t i = 0; i < v.size(); ++i) {
      const std::string key = key_text(v.keys()[i]);
      const Value& item = v.values()[i];
      if (item.is_tensor() || is_flat(item)) {
        out << indent << key << std::string(width - key.size() + 2, ' ') << repr(item) << "\n";
      } else if (item.is_object()) {
        out << indent << key << ": " << object_heading(item) << "\n";
        print_object(out, item, indent + "  ");
      } else {
        out << indent << key << ":";
        if (item.is_dict() && item.size() > 0 && parameter_count(item) > 0) {
          out << "  (" << item.size() << (item.size() == 1 ? " entry, " : " entries, ") << parameter_count(item)
              << " tensor elements)";
        }
        out << "\n";
        print_tree(out, item, indent + "  ");
      }
    }
  } else if (v.is_sequence()) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      const Value& item = v.items()[i];
      if (item.is_tensor() || is_flat(item)) {
        out << indent << "[" << i << "]  " << repr(item) << "\n";
      } else if (item.is_object()) {
        out << indent << "[" << i << "]: " << object_heading(item) << "\n";
        print_object(out, item, indent + "  ");
      } else {
        out << indent << "[" << i << "]:\n";
        print_tree(out, item, indent + "  ");
      }
    }
  } else {
    out << indent << repr(v) << "\n";
  }
}

// A TorchScript module's tree, as print_module shows a pickled one; classes without
// TorchScript's namespace and name mangling.
std::string script_title(const ember::serialize::ScriptModule& module) {
  std::vector<std::string> declared = module.parameters;
  declared.insert(declared.end(), module.buffers.begin(), module.buffers.end());
  return module_title(ember::serialize::script_class_display_name(module.class_name), *module.object, declared);
}

void print_script_module(std::ostream& out, const ember::serialize::ScriptModule& module, const std::string& indent) {
  std::size_t width = 0;
  for (const auto* names : {&module.parameters, &module.buffers}) {
    for (const std::string& name : *names) width = std::max(width, name.size());
  }
  for (const auto* names : {&module.parameters, &module.buffers}) {
    for (const std::string& name : *names) {
      out << indent << name << std::string(width - name.size() + 2, ' ') << repr(module.object->getattr(name))
          << (names == &module.buffers ? "  (buffer)\n" : "\n");
    }
  }
  for (const auto& [name, child] : module.modules) {
    out << indent << name << ": " << script_title(child) << "\n";
    print_script_module(out, child, indent + "  ");
  }
}

// The sum of a tensor's elements in float64 (bools count 0/1).
double tensor_sum(const Tensor& t) {
  double sum = 0.0;
  for (double x : t.to_vector<double>()) sum += x;
  return sum;
}

nlohmann::ordered_json to_json(const Value& v);

// A module as {"class", "attributes", "parameters", "buffers", "non_persistent_buffers",
// "modules"}; any other object as {"class", "origin", "args", "state", "listitems",
// "dictitems"}, the parts the pickle gave it.
nlohmann::ordered_json object_json(const Value& v) {
  using json = nlohmann::ordered_json;
  json o = json{{"class", v.class_name()}};
  if (ember::serialize::is_pickled_module(v)) {
    json attributes = json::object(), modules = json::object();
    for (const auto& [key, item] : attribute_dict(v)) {
      const std::string name = key_text(key);
      if (!name.empty() && name[0] != '_') attributes[name] = to_json(item);
    }
    for (const auto& [key, child] : v.getattr("_modules")) modules[key_text(key)] = to_json(child);
    o["attributes"] = attributes;
    o["parameters"] = to_json(v.getattr("_parameters"));
    o["buffers"] = to_json(v.getattr("_buffers"));
    o["non_persistent_buffers"] = non_persistent_buffers(v);
    o["modules"] = modules;
    return o;
  }
  static const char* const kOrigins[] = {"global", "newobj", "reduce"};
  o["origin"] = kOrigins[static_cast<int>(v.object_origin())];
  if (v.object_origin() == Value::ObjectOrigin::global) return o;
  o["args"] = to_json(v.object_args());
  if (!v.object_state().is_none()) o["state"] = to_json(v.object_state());
  if (v.object_listitems().size() > 0) o["listitems"] = to_json(v.object_listitems());
  if (v.object_dictitems().size() > 0) o["dictitems"] = to_json(v.object_dictitems());
  return o;
}

nlohmann::ordered_json to_json(const Value& v) {
  using json = nlohmann::ordered_json;
  switch (v.kind()) {
    case Value::Kind::none: return nullptr;
    case Value::Kind::boolean: return v.as_bool();
    case Value::Kind::integer: return v.as_int();
    case Value::Kind::real: return v.as_double();
    case Value::Kind::string: return v.as_string();
    case Value::Kind::tensor: {
      const Tensor& t = v.as_tensor();
      return json{{"dtype", ember::dtype_name(t.dtype())}, {"shape", t.shape()}, {"sum", tensor_sum(t)}};
    }
    case Value::Kind::list:
    case Value::Kind::tuple: {
      json a = json::array();
      for (const Value& item : v.items()) a.push_back(to_json(item));
      return a;
    }
    case Value::Kind::dict: {
      json o = json::object();
      for (std::size_t i = 0; i < v.size(); ++i) o[key_text(v.keys()[i])] = to_json(v.values()[i]);
      return o;
    }
    case Value::Kind::object: return object_json(v);
  }
  return nullptr;
}

// A TorchScript module as {"class", "archive_class", "attributes", "parameters", "buffers",
// "modules"}: the pickled module's keys, and the class as the archive names it.
nlohmann::ordered_json script_json(const ember::serialize::ScriptModule& module) {
  using json = nlohmann::ordered_json;
  json o = json{{"class", ember::serialize::script_class_display_name(module.class_name)},
                {"archive_class", module.class_name}};
  json attributes = json::object(), parameters = json::object(), buffers = json::object(), modules = json::object();
  for (const auto& [key, item] : attribute_dict(*module.object)) {
    const std::string name = key_text(key);
    const bool declared = std::find(module.parameters.begin(), module.parameters.end(), name) != module.parameters.end() ||
                          std::find(module.buffers.begin(), module.buffers.end(), name) != module.buffers.end();
    const bool child = std::any_of(module.modules.begin(), module.modules.end(), [&](const auto& m) { return m.first == name; });
    if (!name.empty() && name[0] != '_' && !declared && !child) attributes[name] = to_json(item);
  }
  for (const std::string& name : module.parameters) parameters[name] = to_json(module.object->getattr(name));
  for (const std::string& name : module.buffers) buffers[name] = to_json(module.object->getattr(name));
  for (const auto& [name, child] : module.modules) modules[name] = script_json(child);
  o["attributes"] = attributes;
  o["parameters"] = parameters;
  o["buffers"] = buffers;
  o["modules"] = modules;
  return o;
}

// Writes j as nlohmann's dump(2) does, byte for byte, except for the floats JSON cannot hold
// (a ReduceLROnPlateau's mode_worse = inf, a tensor whose sum overflows): nlohmann writes null
// and the value is lost; this writes Infinity, -Infinity and NaN, as Python's json.dumps does
// by default, and json.loads reads them back. nlohmann still writes every string and number.
void write_json(std::ostream& out, const nlohmann::ordered_json& j, const std::string& indent) {
  const bool container = j.is_object() || j.is_array();
  if (j.is_number_float() && !std::isfinite(j.get<double>())) {
    const double x = j.get<double>();
    out << (std::isnan(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity");
  } else if (!container || j.empty()) {
    out << j.dump();  // a scalar, {} or []
  } else {
    const std::string inner = indent + "  ";
    out << (j.is_object() ? "{\n" : "[\n");
    for (auto it = j.begin(); it != j.end(); ++it) {
      out << (it == j.begin() ? "" : ",\n") << inner;
      if (j.is_object()) out << nlohmann::ordered_json(it.key()).dump() << ": ";
      write_json(out, it.value(), inner);
    }
    out << "\n" << indent << (j.is_object() ? "}" : "]");
  }
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// --state-dict: the flat state_dict of any model file that ember::load_state_dict reads, as
// torch.save(model.state_dict()) writes it (an OrderedDict).
void convert(const std::string& in, const std::string& out, bool state_dict) {
  Value v = state_dict ? Value(ember::load_state_dict(in)) : ember::load(in);
  if (ends_with(out, ".safetensors")) {
    if (!v.is_dict()) throw ember::Error("convert: safetensors holds a dict of tensors; '" + in + "' holds a " + v.kind_name());
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!v.values()[i].is_tensor()) {
        throw ember::Error("convert: safetensors holds only tensors; key '" + key_text(v.keys()[i]) + "' of '" + in +
                           "' holds a " + v.values()[i].kind_name());
      }
    }
    ember::save_safetensors(v, out);
  } else {
    ember::save(v, out);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ember: inspect and convert PyTorch (.pt) and safetensors checkpoints"};
  app.require_subcommand(1);
  std::string file, in, out;
  bool as_json = false, state_dict = false;
  CLI::App* inspect = app.add_subcommand("inspect", "print what a checkpoint holds");
  inspect->add_flag("--json", as_json, "print the tree as JSON (tensors as dtype, shape and sum)");
  inspect->add_option("FILE", file, "a .pt/.pth/.tar or .safetensors file")->required();
  CLI::App* conv = app.add_subcommand("convert", "convert a tensor dict between .pt and .safetensors");
  conv->add_option("IN", in, "file to read")->required();
  conv->add_option("OUT", out, "file to write; .safetensors or else PyTorch's format")->required();
  conv->add_flag("--state-dict", state_dict,
                 "write the flat state_dict of a model file (a whole model, torch.save(model), a TorchScript "
                 "archive, or a state_dict)");
  CLI11_PARSE(app, argc, argv);
  try {
    std::shared_ptr<ember::serialize::MappedFile> mapped = *inspect ? ember::serialize::MappedFile::open(file) : nullptr;
    if (mapped && ember::serialize::is_torchscript_archive(*mapped)) {
      // Its module tree as TorchScript's state_dict walks it.
      const ember::serialize::ScriptArchive archive = ember::serialize::load_torchscript(mapped);
      if (as_json) {
        write_json(std::cout, script_json(archive.root), "");
        std::cout << "\n";
      } else {
        std::int64_t elements = 0;
        const ember::nn::StateDict weights = ember::serialize::script_module_state_dict(archive.root);
        for (const auto& item : weights) elements += item.second.numel();
        std::ostringstream text;
        text << "TorchScript archive (torch.jit.save); its state_dict: " << weights.size()
             << (weights.size() == 1 ? " tensor, " : " tensors, ") << elements << " elements\n"
             << script_title(archive.root) << "\n";
        print_script_module(text, archive.root, "  ");
        std::cout << text.str();
      }
    } else if (*inspect) {
      // Whole models and other pickled objects as inert structure (class names and state).
      Value v = ember::load(file, ember::LoadOptions().weights_only(false));
      if (as_json) {
        write_json(std::cout, to_json(v), "");
        std::cout << "\n";
      } else {
        std::ostringstream text;
        if (ember::serialize::is_pickled_module(v)) {
          std::int64_t elements = 0;
          const ember::nn::StateDict weights = ember::serialize::pickled_module_state_dict(v);
          for (const auto& item : weights) elements += item.second.numel();
          text << "whole model (torch.save(model)); its state_dict: " << weights.size()
               << (weights.size() == 1 ? " tensor, " : " tensors, ") << elements << " elements\n";
        }
        print_tree(text, v, "");
        std::cout << text.str();
      }
    } else {
      convert(in, out, state_dict);
    }
  } catch (const std::exception& e) {
    std::cerr << "ember: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
