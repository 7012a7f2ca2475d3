// Value: the tree of things torch.save stores (None, bool, int, float, str, Tensor, list,
// tuple, dict, and, read with weights_only=false, inert pickled objects), so that checkpoints,
// optimizer state_dicts and whole-model files have one C++ type.
//
//   Value checkpoint = ember::load("ckpt.pt");
//   std::cout << checkpoint << "\n";  // {'epoch': 5, 'loss': tensor(0.4375), ...}
//   double lr = checkpoint["optimizer_state_dict"]["param_groups"][0]["lr"].as_double();
//   for (const auto& [key, value] : checkpoint) std::cout << key_str(key) << "\n";
//
// Every value knows the path that reaches it, so a wrong guess about a file names the entry:
//   Value["optimizer_state_dict"]["param_groups"][0]["lr"]: expected a float, found str
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <iterator>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "ember/tensor/tensor.h"

namespace ember {

// A dict key: Python str or int (optimizer state is keyed by parameter index).
using Key = std::variant<std::string, std::int64_t>;
std::string key_str(const Key& key);  // 'name' or 3, for messages

// A Value has value semantics: copying one copies the tree (tensors inside stay shallow
// handles, as everywhere in ember). Dicts keep insertion order, as Python's do.
class Value {
 public:
  enum class Kind { none, boolean, integer, real, string, tensor, list, tuple, dict, object };
  // How the pickle made an object: a bare reference to a class or function (GLOBAL), the
  // class's cls.__new__(cls, *args) (NEWOBJ, what a pickled class instance is), or a call
  // callable(*args) (REDUCE).
  enum class ObjectOrigin { global, newobj, reduce };

  Value() = default;  // None
  // A copy keeps the path of what it copies: a group taken out of a checkpoint still names
  // where it came from in its errors.
  Value(const Value& other);
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
  // An inert pickled object, as ember::load reads one with weights_only=false: the name of
  // its class or callable ("__main__.Net", "torch.nn.modules.conv.Conv2d"), how it was made,
  // the args (a tuple), the state that BUILD gave it (None when none: usually the instance's
  // __dict__ as a dict, or a (dict, slotstate) tuple, kept as given), and the items that
  // APPEND(S) and SETITEM(S) added to it (a list and a dict). Nothing of the class runs.
  static Value object(std::string class_name, ObjectOrigin origin, Value args, Value state,
                      Value listitems, Value dictitems);
  // The same with no list or dict items; and with no args or state either.
  static Value object(std::string class_name, ObjectOrigin origin, Value args, Value state);
  static Value object(std::string class_name, ObjectOrigin origin);

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
  bool is_object() const { return kind_ == Kind::object; }

  // Where this value sits, as the subscripts that reach it from the root of the tree it was
  // read from: Value["param_groups"][0]["lr"]; a root is just "Value". Every Error a Value
  // throws starts with it.
  std::string path() const;

  // Typed access; each throws Error naming the path, the expected and the found kind.
  bool as_bool() const;
  std::int64_t as_int() const;
  // Ints convert, and so does a 0-d tensor, as Python's float() converts them: the tutorial's
  // checkpoint saves its loss as tensor(0.4375).
  double as_double() const;
  const std::string& as_string() const;
  const Tensor& as_tensor() const;

  // Python's subscript, for reading: v["lr"] in a dict, v[0] in a list or tuple (negative
  // indices count from the end), v[3] also in a dict keyed by ints (optimizer state). Throws
  // Error naming the path for a missing key, an index out of range, or a value that has no
  // entries. To write, use set() or append(), which give what they store its path.
  const Value& operator[](const std::string& key) const;
  const Value& operator[](const char* key) const { return (*this)[std::string(key)]; }
  template <class Int, std::enable_if_t<std::is_integral_v<Int>, int> = 0>
  const Value& operator[](Int index) const {
    return element(static_cast<std::int64_t>(index));
  }

  // Iterating a dict yields (key, value) pairs, as Python's dict.items(); iterating a list or
  // tuple yields (index, item) pairs, as Python's enumerate() does, so that one loop walks
  // either kind of container:  for (const auto& [key, value] : checkpoint) ...
  // Anything else throws Error.
  using Entry = std::pair<Key, const Value&>;
  class const_iterator;
  const_iterator begin() const;
  const_iterator end() const;

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
  // Throws Error 'Value["optimizer_state_dict"]: no key "lr" (keys: "state", ...)'.
  const Value& at(const Key& key) const;
  Value& at(const Key& key);
  // Inserts at the end, or replaces the value in place if the key exists (Python's d[k] = v).
  void set(const Key& key, Value v);
  // Also accepts C strings and ints without spelling Key.
  const Value& at(const char* key) const { return at(Key(std::string(key))); }
  Value& at(const char* key) { return at(Key(std::string(key))); }

  std::size_t size() const;  // items or entries; throws for scalars and objects

  // ---- object (each throws Error naming the path for a value of another kind) ----
  const std::string& class_name() const;
  ObjectOrigin object_origin() const;
  const Value& object_args() const;
  const Value& object_state() const;
  const Value& object_listitems() const;
  const Value& object_dictitems() const;
  // Python's getattr(obj, name) and hasattr for a pickled instance: the entry of its __dict__
  // state (or of both dicts of a (dict, slotstate) state). getattr throws Error naming the
  // path, the class and the attributes it has.
  bool hasattr(const std::string& name) const;
  const Value& getattr(const std::string& name) const;

 private:
  // Where a value sits: the last step of its path, and the Place of the container holding it.
  // A container's children all point at its Place, so moving a subtree into another container
  // renames every value in it by rewriting one Place, however deep the subtree (the pickle
  // reader builds trees from the leaves up).
  struct Place {
    std::shared_ptr<const Place> parent;  // null at the root
    std::string step;  // ["lr"] or [0]; empty at the root
  };

  // Gives child this container's path followed by step.
  void place(Value& child, std::string step);
  const Value& element(std::int64_t index) const;
  [[noreturn]] void fail(const std::string& message) const;  // throws "<path>: message"
  void expect(Kind kind, const char* what) const;

  Kind kind_ = Kind::none;
  std::int64_t int_ = 0;
  double real_ = 0.0;
  std::string string_;  // a str, or an object's class name
  Tensor tensor_;
  ObjectOrigin origin_ = ObjectOrigin::global;  // object
  // list, tuple, the values of a dict, or an object's args, state, listitems and dictitems
  std::vector<Value> items_;
  std::vector<Key> keys_;  // dict keys, parallel to items_
  bool ordered_ = false;
  std::shared_ptr<const Value> metadata_;  // dicts only; immutable, so sharing it is a copy
  std::shared_ptr<Place> place_;  // null for a root that holds nothing yet
};

class Value::const_iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = Entry;
  using reference = Entry;
  using pointer = void;
  using difference_type = std::ptrdiff_t;

  Entry operator*() const;
  const_iterator& operator++() {
    ++index_;
    return *this;
  }
  bool operator==(const const_iterator& other) const { return index_ == other.index_; }
  bool operator!=(const const_iterator& other) const { return index_ != other.index_; }

 private:
  friend class Value;
  const_iterator(const Value* container, std::size_t index) : container_(container), index_(index) {}
  const Value* container_;
  std::size_t index_;
};

// Python's repr() of the value torch.load would return: None, True, 3, 0.001, 'text', [1, 2],
// (1,), {'lr': 0.01, 'params': [0, 1]}, OrderedDict([('w', ...)]) as Python 3.11 prints one.
// An object prints as Python's default repr, with what the pickle gave it:
// <__main__.Net object state={'training': True, ...}>, <torch.device('cuda', 0)> for a call,
// <global 'torch.nn.functional.relu'>, and a set as Python prints one: {1, 2}, set().
// Tensors print as tensor_repr says, by default as str() prints them (PyTorch's
// "tensor([...])"); `ember inspect` passes one that prints dtype and shape.
std::string python_repr(const Value& value,
                        const std::function<std::string(const Tensor&)>& tensor_repr = {});

// Prints python_repr(value) with each tensor that is not 0-d summarised as PyTorch prints a
// tensor whose data it does not show (a meta tensor): tensor(..., size=(120, 400)), with
// ", dtype=torch.int64" when it is not float32. A 0-d tensor is a number, such as a saved
// loss, and prints in full: tensor(0.4375). A checkpoint then prints in a few lines.
std::ostream& operator<<(std::ostream& out, const Value& value);

}  // namespace ember
