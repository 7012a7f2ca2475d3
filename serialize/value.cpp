// Value: typed access with clear errors, and the dict operations.
#include "serialize/value.h"

#include "tensor/python_repr.h"

#include <algorithm>
#include <unordered_set>

namespace ember {

std::string key_str(const Key& key) {
  if (const auto* s = std::get_if<std::string>(&key)) return "'" + *s + "'";
  return std::to_string(std::get<std::int64_t>(key));
}

Value::Value(std::initializer_list<std::pair<Key, Value>> entries) : kind_(Kind::dict) {
  for (const auto& [key, value] : entries) set(key, value);
}

Value Value::list(std::vector<Value> items) {
  Value v;
  v.kind_ = Kind::list;
  v.items_ = std::move(items);
  return v;
}

Value Value::tuple(std::vector<Value> items) {
  Value v = list(std::move(items));
  v.kind_ = Kind::tuple;
  return v;
}

Value Value::dict() {
  Value v;
  v.kind_ = Kind::dict;
  return v;
}

Value Value::ordered_dict() {
  Value v = dict();
  v.ordered_ = true;
  return v;
}

Value Value::dict_from(std::vector<Key> keys, std::vector<Value> values, bool ordered) {
  check(keys.size() == values.size(), "Value::dict_from: ", keys.size(), " keys but ",
        values.size(), " values");
  std::unordered_set<Key> seen;
  seen.reserve(keys.size());
  for (const Key& key : keys) {
    check(seen.insert(key).second, "Value::dict_from: key ", key_str(key), " appears twice");
  }
  Value v = dict();
  v.keys_ = std::move(keys);
  v.items_ = std::move(values);
  v.ordered_ = ordered;
  return v;
}

const Value& Value::metadata() const {
  expect(Kind::dict, "a");
  static const Value none;
  return metadata_ ? *metadata_ : none;
}

void Value::set_metadata(Value metadata) {
  expect(Kind::dict, "a");
  if (metadata.is_none()) {
    metadata_.reset();
  } else {
    metadata_ = std::make_shared<const Value>(std::move(metadata));
  }
}

const char* Value::kind_name() const {
  switch (kind_) {
    case Kind::none: return "None";
    case Kind::boolean: return "bool";
    case Kind::integer: return "int";
    case Kind::real: return "float";
    case Kind::string: return "str";
    case Kind::tensor: return "tensor";
    case Kind::list: return "list";
    case Kind::tuple: return "tuple";
    case Kind::dict: return "dict";
  }
  return "?";
}

void Value::expect(Kind kind, const char* what) const {
  if (kind_ != kind) {
    Value expected;
    expected.kind_ = kind;
    throw Error(str("Value: expected ", what, " ", expected.kind_name(), ", found ", kind_name()));
  }
}

bool Value::as_bool() const {
  expect(Kind::boolean, "a");
  return int_ != 0;
}

std::int64_t Value::as_int() const {
  expect(Kind::integer, "an");
  return int_;
}

double Value::as_double() const {
  if (kind_ == Kind::integer) return static_cast<double>(int_);
  expect(Kind::real, "a");
  return real_;
}

const std::string& Value::as_string() const {
  expect(Kind::string, "a");
  return string_;
}

const Tensor& Value::as_tensor() const {
  expect(Kind::tensor, "a");
  return tensor_;
}

const std::vector<Value>& Value::items() const {
  check(is_sequence(), "Value: expected a list or tuple, found ", kind_name());
  return items_;
}

std::vector<Value>& Value::items() {
  check(is_sequence(), "Value: expected a list or tuple, found ", kind_name());
  return items_;
}

void Value::append(Value v) { items().push_back(std::move(v)); }

const std::vector<Key>& Value::keys() const {
  expect(Kind::dict, "a");
  return keys_;
}

const std::vector<Value>& Value::values() const {
  expect(Kind::dict, "a");
  return items_;
}

std::vector<Value>& Value::values() {
  expect(Kind::dict, "a");
  return items_;
}

const Value* Value::find(const Key& key) const {
  expect(Kind::dict, "a");
  auto it = std::find(keys_.begin(), keys_.end(), key);
  return it == keys_.end() ? nullptr : &items_[static_cast<std::size_t>(it - keys_.begin())];
}

Value* Value::find(const Key& key) {
  return const_cast<Value*>(static_cast<const Value*>(this)->find(key));
}

bool Value::contains(const Key& key) const { return find(key) != nullptr; }

const Value& Value::at(const Key& key) const {
  if (const Value* v = find(key)) return *v;
  std::string known;
  for (std::size_t i = 0; i < keys_.size() && i < 20; ++i) {
    known += (i ? ", " : "") + key_str(keys_[i]);
  }
  if (keys_.size() > 20) known += ", ...";
  throw Error(str("Value: key ", key_str(key), " not found in dict (keys: ", known, ")"));
}

Value& Value::at(const Key& key) {
  return const_cast<Value&>(static_cast<const Value*>(this)->at(key));
}

void Value::set(const Key& key, Value v) {
  if (Value* existing = find(key)) {
    *existing = std::move(v);
    return;
  }
  keys_.push_back(key);
  items_.push_back(std::move(v));
}

std::size_t Value::size() const {
  check(is_sequence() || is_dict(), "Value: size() of a ", kind_name());
  return items_.size();
}

std::string python_repr(const Value& v, const std::function<std::string(const Tensor&)>& tensor_repr) {
  std::string s;
  switch (v.kind()) {
    case Value::Kind::none: return "None";
    case Value::Kind::boolean: return v.as_bool() ? "True" : "False";
    case Value::Kind::integer: return std::to_string(v.as_int());
    case Value::Kind::real: return python_float_repr(v.as_double());
    case Value::Kind::string: return "'" + v.as_string() + "'";
    case Value::Kind::tensor: return tensor_repr ? tensor_repr(v.as_tensor()) : str(v.as_tensor());
    case Value::Kind::list:
    case Value::Kind::tuple:
      for (const Value& item : v.items()) s += (s.empty() ? "" : ", ") + python_repr(item, tensor_repr);
      if (v.is_list()) return "[" + s + "]";
      return "(" + s + (v.size() == 1 ? ",)" : ")");  // (1,): a 1-tuple keeps its comma
    case Value::Kind::dict:
      for (std::size_t i = 0; i < v.size(); ++i) {
        s += (i ? ", " : "") + key_str(v.keys()[i]) + ": " + python_repr(v.values()[i], tensor_repr);
      }
      return "{" + s + "}";
  }
  return "?";
}

}  // namespace ember
