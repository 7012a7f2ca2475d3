// Value: Python's repr of a Value tree (python_repr) and the summary that << prints.
#include "ember/core/value.h"

#include <cstdio>
#include <ostream>

#include "ember/tensor/python_repr.h"

namespace ember {

namespace {

// Python's repr(str): single quotes unless the text holds a ' and no ", and backslash escapes
// for that quote, \\, \n, \r, \t and (as \xNN) the other control characters. Non-ASCII text is
// kept, except the Latin-1 characters Python escapes as unprintable (U+0080..U+00A0, U+00AD);
// rarer unprintable ones that Python escapes too (U+2028, ...) stay as they are.
std::string python_str_repr(const std::string& s) {
  const bool single = s.find('\'') != std::string::npos;
  const bool dbl = s.find('"') != std::string::npos;
  const char quote = single && !dbl ? '"' : '\'';
  auto hex = [](unsigned char c) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
    return std::string(buffer);
  };
  std::string out(1, quote);
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const auto next = i + 1 < s.size() ? static_cast<unsigned char>(s[i + 1]) : 0;
    if (c == quote || c == '\\') {
      out += '\\';
      out += s[i];
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += hex(c);
    } else if (c == 0xc2 && next >= 0x80 && (next <= 0xa0 || next == 0xad)) {
      out += hex(next);  // UTF-8 C2 xx is U+00xx
      ++i;
    } else {
      out += s[i];
    }
  }
  return out + quote;
}

std::string key_repr(const Key& key) {
  if (const auto* s = std::get_if<std::string>(&key)) return python_str_repr(*s);
  return std::to_string(std::get<std::int64_t>(key));
}

// A tensor in a printed Value: 0-d in full, anything else as PyTorch's meta-tensor repr
// without the device.
std::string tensor_summary(const Tensor& t) {
  if (!t.defined() || t.dim() == 0) return str(t);
  std::string s = "tensor(..., size=" + shape_str(t.shape());
  if (t.dtype() != kFloat32) s += std::string(", dtype=torch.") + dtype_name(t.dtype());
  return s + ")";
}

using TensorRepr = std::function<std::string(const Tensor&)>;

// "a, b, c": the items of a list or tuple, comma separated.
std::string items_repr(const Value& sequence, const TensorRepr& tensor_repr) {
  std::string s;
  for (const Value& item : sequence.items()) s += (s.empty() ? "" : ", ") + python_repr(item, tensor_repr);
  return s;
}

// A pickled object as Python's default repr (<__main__.Net object at 0x...>) with, instead of
// the address, what the pickle gave it. A set or frozenset (builtins.set([items]), the
// REDUCE that protocol 2 writes, or EMPTY_SET + ADDITEMS) prints as Python prints one.
std::string object_repr(const Value& v, const TensorRepr& tensor_repr) {
  const std::string& name = v.class_name();
  const Value& args = v.object_args();
  const bool plain = v.object_state().is_none() && v.object_listitems().size() == 0 &&
                     v.object_dictitems().size() == 0;
  if (v.object_origin() == Value::ObjectOrigin::global) return "<global '" + name + "'>";
  const bool set = name == "builtins.set", frozen = name == "builtins.frozenset";
  if ((set || frozen) && plain && v.object_origin() == Value::ObjectOrigin::reduce &&
      (args.size() == 0 || (args.size() == 1 && args[0].is_sequence()))) {
    const std::string items = args.size() == 0 ? "" : items_repr(args[0], tensor_repr);
    if (items.empty()) return set ? "set()" : "frozenset()";
    return set ? "{" + items + "}" : "frozenset({" + items + "})";
  }
  std::string s = "<" + name;
  if (v.object_origin() == Value::ObjectOrigin::reduce) {
    s += "(" + items_repr(args, tensor_repr) + ")";
  } else {
    s += " object";
    if (args.size() > 0) s += " args=" + python_repr(args, tensor_repr);
  }
  if (!v.object_state().is_none()) s += " state=" + python_repr(v.object_state(), tensor_repr);
  if (v.object_listitems().size() > 0) s += " listitems=" + python_repr(v.object_listitems(), tensor_repr);
  if (v.object_dictitems().size() > 0) s += " dictitems=" + python_repr(v.object_dictitems(), tensor_repr);
  return s + ">";
}

}  // namespace

std::string python_repr(const Value& v, const TensorRepr& tensor_repr) {
  std::string s;
  switch (v.kind()) {
    case Value::Kind::none: return "None";
    case Value::Kind::boolean: return v.as_bool() ? "True" : "False";
    case Value::Kind::integer: return std::to_string(v.as_int());
    case Value::Kind::real: return python_float_repr(v.as_double());
    case Value::Kind::string: return python_str_repr(v.as_string());
    case Value::Kind::tensor: return tensor_repr ? tensor_repr(v.as_tensor()) : str(v.as_tensor());
    case Value::Kind::list:
    case Value::Kind::tuple:
      s = items_repr(v, tensor_repr);
      if (v.is_list()) return "[" + s + "]";
      return "(" + s + (v.size() == 1 ? ",)" : ")");  // (1,): a 1-tuple keeps its comma
    case Value::Kind::dict:
      // Python 3.11's OrderedDict repr, the form every Python that PyTorch 1.13 runs on prints.
      for (const auto& [key, item] : v) {
        const std::string k = key_repr(key), r = python_repr(item, tensor_repr);
        s += (s.empty() ? "" : ", ") + (v.is_ordered_dict() ? "(" + k + ", " + r + ")" : k + ": " + r);
      }
      if (!v.is_ordered_dict()) return "{" + s + "}";
      return s.empty() ? "OrderedDict()" : "OrderedDict([" + s + "])";
    case Value::Kind::object: return object_repr(v, tensor_repr);
  }
  return "?";
}

std::ostream& operator<<(std::ostream& out, const Value& value) {
  return out << python_repr(value, tensor_summary);
}

}  // namespace ember
