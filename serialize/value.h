// Value: the tree of things torch.save stores (None, bool, int, float, str, Tensor, list,
// tuple, dict), so that checkpoints and optimizer state_dicts have one C++ type.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "tensor/tensor.h"

namespace ember {

// A dict key: Python str or int (optimizer state is keyed by parameter index).
using Key = std::variant<std::string, std::int64_t>;
std::string key_str(const Key& key);  // 'name' or 3, for messages

// A Value has value semantics: copying one copies the tree (tensors inside stay shallow
// handles, as everywhere in ember). Dicts keep insertion order, as Python's do.
class Value {
 public:
  enum class Kind { none, boolean, integer, real, string, tensor, list, tuple, dict };

  Value() = default;  // None
  Value(const Value&) = default;
  Value(Value&&) = default;
  Value& operator=(Value&&) = default;
  // Copy-then-move, so that `v = v.at("model_state_dict")` works: the source lives inside the
  // destination and must be copied before the destination's old contents are released.
  Value& operator=(const Value& other) {
    if (this != &other) *this = Value(other);
    return *this;
  }
  Value(std::nullptr_t) {}
  Value(bool b) : kind_(Kind::boolean), int_(b) {}
  Value(int i) : kind_(Kind::integer), int_(i) {}
  Value(long i) : kind_(Kind::integer), int_(i) {}
  Value(long long i) : kind_(Kind::integer), int_(i) {}
  Value(double d) : kind_(Kind::real), real_(d) {}
  Value(float d) : kind_(Kind::real), real_(d) {}
  Value(const char* s) : kind_(Kind::string), string_(s) {}
  Value(std::string s) : kind_(Kind::string), string_(std::move(s)) {}
  Value(Tensor t) : kind_(Kind::tensor), tensor_(std::move(t)) {}
  // A dict from {key, value} pairs: Value{{"epoch", 3}, {"loss", 0.25}}.
  Value(std::initializer_list<std::pair<Key, Value>> entries);

  static Value list(std::vector<Value> items = {});
  static Value tuple(std::vector<Value> items = {});
  static Value dict();
  // A dict that torch.save writes as collections.OrderedDict (what module state_dicts are).
  static Value ordered_dict();
  // A dict from parallel key and value lists in one step (linear time, unlike repeated set());
  // throws Error on a repeated key. The pickle reader builds large state_dicts with it.
  static Value dict_from(std::vector<Key> keys, std::vector<Value> values, bool ordered = false);

  Kind kind() const { return kind_; }
  const char* kind_name() const;  // "dict", "tensor", ... for messages
  bool is_none() const { return kind_ == Kind::none; }
  bool is_bool() const { return kind_ == Kind::boolean; }
  bool is_int() const { return kind_ == Kind::integer; }
  bool is_double() const { return kind_ == Kind::real; }
  bool is_number() const { return is_int() || is_double(); }
  bool is_string() const { return kind_ == Kind::string; }
  bool is_tensor() const { return kind_ == Kind::tensor; }
  bool is_list() const { return kind_ == Kind::list; }
  bool is_tuple() const { return kind_ == Kind::tuple; }
  bool is_sequence() const { return is_list() || is_tuple(); }
  bool is_dict() const { return kind_ == Kind::dict; }

  // Typed access; each throws Error naming the expected and the found kind.
  bool as_bool() const;
  std::int64_t as_int() const;
  double as_double() const;  // ints convert
  const std::string& as_string() const;
  const Tensor& as_tensor() const;

  // ---- list / tuple ----
  const std::vector<Value>& items() const;
  std::vector<Value>& items();
  void append(Value v);

  // ---- dict ----
  bool is_ordered_dict() const { return ordered_; }
  void set_ordered_dict(bool ordered) { ordered_ = ordered; }
  // The `_metadata` attribute PyTorch attaches to a module state_dict: an OrderedDict mapping
  // each module prefix ('' for the root, 'fc1', ...) to {'version': n}. None when absent.
  // ember::load keeps it and ember::save writes it back (with BUILD, as torch.save does), so
  // a state_dict survives a round trip through ember unchanged.
  const Value& metadata() const;
  void set_metadata(Value metadata);
  const std::vector<Key>& keys() const;
  const std::vector<Value>& values() const;
  std::vector<Value>& values();
  bool contains(const Key& key) const;
  const Value* find(const Key& key) const;
  Value* find(const Key& key);
  // Throws Error "key 'x' not found in dict (keys: ...)".
  const Value& at(const Key& key) const;
  Value& at(const Key& key);
  // Inserts at the end, or replaces the value in place if the key exists (Python's d[k] = v).
  void set(const Key& key, Value v);
  // Also accepts C strings and ints without spelling Key.
  const Value& at(const char* key) const { return at(Key(std::string(key))); }
  Value& at(const char* key) { return at(Key(std::string(key))); }

  std::size_t size() const;  // items or entries; throws for scalars

 private:
  void expect(Kind kind, const char* what) const;

  Kind kind_ = Kind::none;
  std::int64_t int_ = 0;
  double real_ = 0.0;
  std::string string_;
  Tensor tensor_;
  std::vector<Value> items_;  // list, tuple, or the values of a dict
  std::vector<Key> keys_;  // dict keys, parallel to items_
  bool ordered_ = false;
  std::shared_ptr<const Value> metadata_;  // dicts only; immutable, so sharing it is a copy
};

// Python's repr() of the value torch.load would return: None, True, 3, 0.001, 'text', [1, 2],
// (1,), {'lr': 0.01, 'params': [0, 1]}. Tensors print as tensor_repr says, by default as str()
// prints them (PyTorch's "tensor([...])"); `ember inspect` passes one that prints dtype and shape.
std::string python_repr(const Value& value,
                        const std::function<std::string(const Tensor&)>& tensor_repr = {});

}  // namespace ember
