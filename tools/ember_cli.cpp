// The `ember` command: look inside checkpoints and convert them, without Python.
//
//   ember inspect ckpt.pt            keys, dtypes, shapes, scalars, param_groups
//   ember inspect --json ckpt.pt     the same tree as JSON (tensors as dtype, shape and sum;
//                                    inf and nan as Python's json writes them: Infinity, NaN)
//   ember convert model.pt model.safetensors   (.pt <-> .safetensors, by extension)
//
// A file that cannot be read gives one line on stderr and exit code 1.
#include <CLI/CLI.hpp>

#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ember/serialize/serialize.h"

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

bool is_scalar(const Value& v) { return !v.is_dict() && !v.is_sequence() && !v.is_tensor(); }

// A Python-like one-line repr, for scalars and for small containers of scalars; tensors as
// their dtype and shape.
std::string repr(const Value& v) {
  return ember::python_repr(v, [](const Tensor& t) { return std::string(ember::dtype_name(t.dtype())) + " " + shape_text(t); });
}

// Flat enough to print on one line: scalars, and containers holding only scalars (or lists of
// them), such as an optimizer's param_group.
bool is_flat(const Value& v, int depth = 0) {
  if (is_scalar(v)) return true;
  if (v.is_tensor() || depth > 1) return false;
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

// The tutorial's view: one line per key, tensors as dtype and shape, nested dicts indented.
void print_tree(std::ostream& out, const Value& v, const std::string& indent) {
  if (v.is_dict()) {
    std::size_t width = 0;
    for (const Key& k : v.keys()) width = std::max(width, key_text(k).size());
    for (std::size_t i = 0; i < v.size(); ++i) {
      const std::string key = key_text(v.keys()[i]);
      const Value& item = v.values()[i];
      if (item.is_tensor() || is_flat(item)) {
        out << indent << key << std::string(width - key.size() + 2, ' ') << repr(item) << "\n";
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
      } else {
        out << indent << "[" << i << "]:\n";
        print_tree(out, item, indent + "  ");
      }
    }
  } else {
    out << indent << repr(v) << "\n";
  }
}

// The sum of a tensor's elements in float64 (bools count 0/1).
double tensor_sum(const Tensor& t) {
  double sum = 0.0;
  for (double x : t.to_vector<double>()) sum += x;
  return sum;
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
  }
  return nullptr;
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

void convert(const std::string& in, const std::string& out) {
  Value v = ember::load(in);
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
  bool as_json = false;
  CLI::App* inspect = app.add_subcommand("inspect", "print what a checkpoint holds");
  inspect->add_flag("--json", as_json, "print the tree as JSON (tensors as dtype, shape and sum)");
  inspect->add_option("FILE", file, "a .pt/.pth/.tar or .safetensors file")->required();
  CLI::App* conv = app.add_subcommand("convert", "convert a tensor dict between .pt and .safetensors");
  conv->add_option("IN", in, "file to read")->required();
  conv->add_option("OUT", out, "file to write; .safetensors or else PyTorch's format")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    if (*inspect) {
      Value v = ember::load(file);
      if (as_json) {
        write_json(std::cout, to_json(v), "");
        std::cout << "\n";
      } else {
        std::ostringstream text;
        print_tree(text, v, "");
        std::cout << text.str();
      }
    } else {
      convert(in, out);
    }
  } catch (const std::exception& e) {
    std::cerr << "ember: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
