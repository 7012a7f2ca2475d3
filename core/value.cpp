// Value: typed access with errors that name the path, and the dict operations. Objects are in
// value_object.cpp, printing in value_repr.cpp.
#include "ember/core/value.h"

#include <algorithm>
#include <unordered_set>

namespace ember {
namespace {

// A key as it is written inside a C++ subscript: "lr" or 3.
std::string quoted(const Key& key) {
  const auto* s = std::get_if<std::string>(&key);
  if (s == nullptr) return std::to_string(std::get<std::int64_t>(key));
  std::string out = "\"";
  for (char c : *s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// One step of a path: ["lr"] or [0].
std::string subscript(const Key& key) { return "[" + quoted(key) + "]"; }
std::string subscript(std::size_t index) { return "[" + std::to_string(index) + "]"; }

}  // namespace

std::string key_str(const Key& key) {
  if (const auto* s = std::get_if<std::string>(&key)) return "'" + *s + "'";
  return std::to_string(std::get<std::int64_t>(key));
}

// ---- construction, and the paths that containers give what they hold -----------------------

Value::Value(const Value& other)
    : kind_(other.kind_),
      int_(other.int_),
      real_(other.real_),
      string_(other.string_),
      tensor_(other.tensor_),
      origin_(other.origin_),
      items_(other.items_),
      keys_(other.keys_),
      ordered_(other.ordered_),
      metadata_(other.metadata_),
      place_(other.place_ ? std::make_shared<Place>(*other.place_) : nullptr) {
  // The copied items still hang under other's Place; they belong under the copy's.
  for (Value& item : items_) {
    if (item.place_) item.place_->parent = place_;
  }
}

void Value::place(Value& child, std::string step) {
  if (!place_) place_ = std::make_shared<Place>();
  if (!child.place_) child.place_ = std::make_shared<Place>();
  child.place_->parent = place_;
  child.place_->step = std::move(step);
}

std::string Value::path() const {
  std::vector<const std::string*> steps;
  for (const Place* p = place_.get(); p != nullptr; p = p->parent.get()) steps.push_back(&p->step);
  std::string out = "Value";
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) out += **it;
  return out;
}

Value::Value(std::initializer_list<std::pair<Key, Value>> entries) : kind_(Kind::dict) {
  for (const auto& [key, value] : entries) set(key, value);
}

Value Value::list(std::vector<Value> items) {
  Value v;
  v.kind_ = Kind::list;
  v.items_ = std::move(items);
  for (std::size_t i = 0; i < v.items_.size(); ++i) v.place(v.items_[i], subscript(i));
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
  for (std::size_t i = 0; i < v.items_.size(); ++i) v.place(v.items_[i], subscript(v.keys_[i]));
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

// ---- typed access ----------------------------------------------------------------------------

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
    case Kind::object: return "object";
  }
  return "?";
}

void Value::fail(const std::string& message) const { throw Error(path() + ": " + message); }

void Value::expect(Kind kind, const char* what) const {
  if (kind_ != kind) {
    Value expected;
    expected.kind_ = kind;
    fail(str("expected ", what, " ", expected.kind_name(), ", found ", kind_name()));
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
  if (kind_ == Kind::tensor && tensor_.defined()) {
    if (tensor_.dim() == 0) return tensor_.item();
    fail(str("expected a float, found a tensor of shape ", tensor_.shape(),
             " (only a 0-d tensor converts to a float)"));
  }
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

// ---- containers ------------------------------------------------------------------------------

const std::vector<Value>& Value::items() const {
  if (!is_sequence()) fail(str("expected a list or tuple, found ", kind_name()));
  return items_;
}

std::vector<Value>& Value::items() {
  return const_cast<std::vector<Value>&>(static_cast<const Value*>(this)->items());
}

void Value::append(Value v) {
  items().push_back(std::move(v));
  place(items_.back(), subscript(items_.size() - 1));
}

const Value& Value::element(std::int64_t index) const {
  if (is_dict()) return at(Key(index));
  if (!is_sequence()) fail(str("expected a list, tuple or dict to index with ", index, ", found ", kind_name()));
  const auto n = static_cast<std::int64_t>(items_.size());
  const std::int64_t i = index < 0 ? index + n : index;  // Python's v[-1] is the last item
  if (i < 0 || i >= n) {
    fail(str("index ", index, " is out of range for a ", kind_name(), " of ", n, n == 1 ? " item" : " items"));
  }
  return items_[static_cast<std::size_t>(i)];
}

const Value& Value::operator[](const std::string& key) const { return at(Key(key)); }

Value::const_iterator Value::begin() const {
  if (!is_dict() && !is_sequence()) fail(str("expected a list, tuple or dict to iterate over, found ", kind_name()));
  return const_iterator(this, 0);
}

Value::const_iterator Value::end() const { return const_iterator(this, items_.size()); }

Value::Entry Value::const_iterator::operator*() const {
  const Value& item = container_->items_[index_];
  if (container_->is_dict()) return Entry(container_->keys_[index_], item);
  return Entry(Key(static_cast<std::int64_t>(index_)), item);
}

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
  if (keys_.empty()) fail("no key " + quoted(key) + " (the dict is empty)");
  std::string known;
  for (std::size_t i = 0; i < keys_.size() && i < 20; ++i) known += (i ? ", " : "") + quoted(keys_[i]);
  if (keys_.size() > 20) known += ", ...";
  fail("no key " + quoted(key) + " (keys: " + known + ")");
}

Value& Value::at(const Key& key) {
  return const_cast<Value&>(static_cast<const Value*>(this)->at(key));
}

void Value::set(const Key& key, Value v) {
  Value* slot = find(key);
  if (slot != nullptr) {
    *slot = std::move(v);
  } else {
    keys_.push_back(key);
    items_.push_back(std::move(v));
    slot = &items_.back();
  }
  place(*slot, subscript(key));
}

std::size_t Value::size() const {
  if (!is_sequence() && !is_dict()) fail(str("expected a list, tuple or dict for size(), found ", kind_name()));
  return items_.size();
}

}  // namespace ember
