// The restricted pickle machine: opcodes, known globals, tensor rebuilding, inert objects, and
// the conversion of the object graph into a Value. Opcode reference: CPython Lib/pickle.py and
// Lib/pickletools.py; the globals: pickle_globals.cpp.
#include "ember/serialize/pickle_reader.h"

#include <cstring>
#include <deque>
#include <unordered_map>
#include <vector>

#include "ember/serialize/pickle_globals.h"
#include "ember/serialize/serialize_error.h"
#include "ember/serialize/torch_names.h"

namespace ember::serialize {

namespace {

// One Python object as the machine sees it. Objects live in an arena and refer to each other
// by pointer, so shared references (the memo) and even cycles are harmless, and freeing a
// deeply nested graph needs no recursion.
struct Obj {
  enum class Type : std::uint8_t {
    none, boolean, integer, real, string, bytes, tuple, list, dict, global, storage, tensor, object
  };
  Type type = Type::none;
  // object: an unknown global (origin global), or what NEWOBJ / REDUCE made of one, with the
  // args they got and the state, list items and dict items given to it since (may be null).
  Value::ObjectOrigin origin = Value::ObjectOrigin::global;
  Obj* args = nullptr;
  Obj* state = nullptr;
  Obj* listitems = nullptr;
  Obj* dictitems = nullptr;
  bool visiting = false;  // to_value: on the path from the root (a reference cycle)
  bool ordered = false;  // dict: an OrderedDict
  std::int64_t i = 0;
  double d = 0.0;
  std::string s;  // str, bytes, or a global's "module.name"
  std::vector<Obj*> items;  // tuple/list items, dict values
  std::vector<Obj*> keys;  // dict keys
  std::unordered_map<std::string, std::size_t> key_index;  // dict key -> position
  Obj* metadata = nullptr;  // an OrderedDict's `_metadata` (set by BUILD)
  Tensor tensor;
  std::shared_ptr<Storage> storage;
  std::int64_t offset = 0;  // storage: where its elements start in `storage` (a legacy view)
  Dtype dtype = kFloat32;
};
using Type = Obj::Type;

const char* type_name(Type t) {
  switch (t) {
    case Type::none: return "None";
    case Type::boolean: return "bool";
    case Type::integer: return "int";
    case Type::real: return "float";
    case Type::string: return "str";
    case Type::bytes: return "bytes";
    case Type::tuple: return "tuple";
    case Type::list: return "list";
    case Type::dict: return "dict";
    case Type::global: return "global";
    case Type::storage: return "storage";
    case Type::tensor: return "tensor";
    case Type::object: return "object";
  }
  return "?";
}

// An object that pickle can add items to or BUILD: made by NEWOBJ or REDUCE, not a bare global.
bool is_instance(const Obj* o) { return o->type == Type::object && o->origin != Value::ObjectOrigin::global; }

class Unpickler {
 public:
  Unpickler(const std::uint8_t* data, std::size_t size, const StorageLoader& loader,
            const std::string& file, const std::string& entry, const PickleOptions& options)
      : data_(data), size_(size), loader_(loader), file_(file), entry_(entry),
        limits_(options.limits), weights_only_(options.weights_only) {}

  Value run();
  std::size_t end() const { return pos_; }

 private:
  [[noreturn]] void fail(const std::string& reason) const {
    throw SerializeError("load", file_, entry_, reason + " (pickle byte " + std::to_string(op_pos_) + ")");
  }
  const std::uint8_t* take(std::size_t n) {
    if (n > size_ - pos_) fail("pickle stream is truncated");
    const std::uint8_t* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  std::uint64_t take_le(std::size_t n) {
    const std::uint8_t* p = take(n);
    std::uint64_t v = 0;
    for (std::size_t k = 0; k < n; ++k) v |= static_cast<std::uint64_t>(p[k]) << (8 * k);
    return v;
  }
  std::string take_line();
  Obj* make(Type type) {
    if (arena_.size() >= limits_.max_objects) fail("pickle builds too many objects");
    arena_.emplace_back();
    arena_.back().type = type;
    return &arena_.back();
  }
  void push(Obj* o) {
    if (stack_.size() >= limits_.max_stack) fail("pickle stack too deep");
    stack_.push_back(o);
  }
  Obj* pop() {
    if (stack_.size() <= base()) fail("pickle stack underflow");
    Obj* o = stack_.back();
    stack_.pop_back();
    return o;
  }
  Obj* top() {
    if (stack_.size() <= base()) fail("pickle stack underflow");
    return stack_.back();
  }
  std::size_t base() const { return marks_.empty() ? 0 : marks_.back(); }
  std::vector<Obj*> pop_mark() {
    if (marks_.empty()) fail("pickle has no MARK to pop to");
    std::vector<Obj*> items(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  Obj* memo_get(std::uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo index " + std::to_string(index) + " was never stored");
    return it->second;
  }
  void memo_put(std::uint64_t index) {
    if (memo_.size() >= limits_.max_stack * 4 && !memo_.count(index)) fail("pickle memo too large");
    memo_[index] = top();
  }

  bool step();  // one opcode; false after STOP
  void op_global(std::string module, std::string name);
  void op_reduce();
  void op_build();
  void op_newobj();
  void op_persistent_id();
  Obj* make_object(const std::string& name, Value::ObjectOrigin origin, Obj* args);
  Obj* make_set(const char* name, std::vector<Obj*> items);
  void set_item(Obj* dict, Obj* key, Obj* value);
  void append_to(Obj* list, const std::vector<Obj*>& items);
  Obj* rebuild_tensor(const std::vector<Obj*>& args, std::size_t first);
  std::int64_t as_int(Obj* o, const char* what);
  std::string as_key(Obj* o, const char* what);
  Shape as_shape(Obj* o, const char* what);
  Value to_value(Obj* o, std::size_t depth);
  Value object_value(Obj* o, std::size_t depth);

  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  std::size_t op_pos_ = 0;
  const StorageLoader& loader_;
  const std::string& file_;
  const std::string& entry_;
  PickleLimits limits_;
  bool weights_only_;
  std::deque<Obj> arena_;
  std::vector<Obj*> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, Obj*> memo_;
  std::size_t budget_ = 0;  // Value nodes still allowed in to_value
};

std::string Unpickler::take_line() {
  const void* nl = std::memchr(data_ + pos_, '\n', size_ - pos_);
  if (nl == nullptr) fail("pickle stream is truncated (GLOBAL without newline)");
  std::size_t n = static_cast<std::size_t>(static_cast<const std::uint8_t*>(nl) - (data_ + pos_));
  std::string line(reinterpret_cast<const char*>(data_ + pos_), n);
  pos_ += n + 1;
  return line;
}

bool Unpickler::step() {
  op_pos_ = pos_;
  const std::uint8_t op = *take(1);
  switch (op) {
    case 0x80: take(1); break;  // PROTO
    case 0x95: take(8); break;  // FRAME: a hint for buffered readers; the data is all here
    case '.': return false;  // STOP
    case '(':  // MARK
      if (marks_.size() >= limits_.max_marks) fail("too many nested MARKs");
      marks_.push_back(stack_.size());
      break;
    case '0': pop(); break;  // POP
    case '1': pop_mark(); break;  // POP_MARK
    case '2': push(top()); break;  // DUP
    case 'N': push(make(Type::none)); break;
    case 0x88: case 0x89: {  // NEWTRUE, NEWFALSE
      Obj* o = make(Type::boolean);
      o->i = op == 0x88;
      push(o);
      break;
    }
    case 'K': case 'M': case 'J': {  // BININT1, BININT2, BININT
      Obj* o = make(Type::integer);
      if (op == 'K') o->i = static_cast<std::int64_t>(take_le(1));
      if (op == 'M') o->i = static_cast<std::int64_t>(take_le(2));
      if (op == 'J') o->i = static_cast<std::int32_t>(static_cast<std::uint32_t>(take_le(4)));
      push(o);
      break;
    }
    case 0x8a: case 0x8b: {  // LONG1, LONG4: little-endian two's complement
      std::uint64_t n = take_le(op == 0x8a ? 1 : 4);
      if (n > 8) fail("integer of " + std::to_string(n) + " bytes does not fit in int64");
      std::uint64_t v = n ? take_le(static_cast<std::size_t>(n)) : 0;
      if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~std::uint64_t{0} << (8 * n);
      Obj* o = make(Type::integer);
      o->i = static_cast<std::int64_t>(v);
      push(o);
      break;
    }
    case 'G': {  // BINFLOAT: 8 bytes big-endian
      const std::uint8_t* p = take(8);
      std::uint64_t bits = 0;
      for (int k = 0; k < 8; ++k) bits = (bits << 8) | p[k];
      Obj* o = make(Type::real);
      std::memcpy(&o->d, &bits, 8);
      push(o);
      break;
    }
    case 'X': case 0x8c: case 0x8d:  // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
    case 'T': case 'U':  // BINSTRING, SHORT_BINSTRING (Python 2 str)
    case 'B': case 'C': case 0x8e: {  // BINBYTES, SHORT_BINBYTES, BINBYTES8
      std::size_t width = (op == 0x8c || op == 'U' || op == 'C') ? 1 : (op == 0x8d || op == 0x8e) ? 8 : 4;
      std::uint64_t n = take_le(width);
      if (n > size_ - pos_) fail("string of " + std::to_string(n) + " bytes runs past the end of the pickle");
      Obj* o = make((op == 'B' || op == 'C' || op == 0x8e) ? Type::bytes : Type::string);
      const std::uint8_t* p = take(static_cast<std::size_t>(n));
      o->s.assign(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
      push(o);
      break;
    }
    case ')': push(make(Type::tuple)); break;  // EMPTY_TUPLE
    case 't': case 0x85: case 0x86: case 0x87: {  // TUPLE, TUPLE1-3
      Obj* o = make(Type::tuple);
      if (op == 't') {
        o->items = pop_mark();
      } else {
        std::size_t n = static_cast<std::size_t>(op - 0x84);
        if (stack_.size() < base() + n) fail("pickle stack underflow");
        o->items.assign(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
        stack_.resize(stack_.size() - n);
      }
      push(o);
      break;
    }
    case ']': push(make(Type::list)); break;  // EMPTY_LIST
    case 'a': {  // APPEND
      Obj* item = pop();
      append_to(top(), {item});
      break;
    }
    case 'e': {  // APPENDS
      std::vector<Obj*> items = pop_mark();
      append_to(top(), items);
      break;
    }
    case '}': push(make(Type::dict)); break;  // EMPTY_DICT
    case 's': {  // SETITEM
      Obj* value = pop();
      Obj* key = pop();
      set_item(top(), key, value);
      break;
    }
    case 'u': {  // SETITEMS
      std::vector<Obj*> items = pop_mark();
      if (items.size() % 2) fail("SETITEMS with an odd number of items");
      Obj* dict = top();
      for (std::size_t k = 0; k < items.size(); k += 2) set_item(dict, items[k], items[k + 1]);
      break;
    }
    case 'q': memo_put(take_le(1)); break;  // BINPUT
    case 'r': memo_put(take_le(4)); break;  // LONG_BINPUT
    case 0x94: memo_put(memo_.size()); break;  // MEMOIZE
    case 'h': push(memo_get(take_le(1))); break;  // BINGET
    case 'j': push(memo_get(take_le(4))); break;  // LONG_BINGET
    case 0x8f:  // EMPTY_SET (protocol 4's set, as in a module's _non_persistent_buffers_set)
      if (weights_only_) fail(global_refusal("builtins.set", true));
      push(make_set("builtins.set", {}));
      break;
    case 0x90: {  // ADDITEMS
      std::vector<Obj*> items = pop_mark();
      Obj* set = top();
      // A set is builtins.set([members]); one made by REDUCE with other arguments takes none.
      if (!is_instance(set) || set->s != "builtins.set" || set->args->items.size() != 1 ||
          set->args->items[0]->type != Type::list) {
        fail(std::string("ADDITEMS needs a set (EMPTY_SET, or builtins.set of a list), found ") +
             (set->type == Type::object ? set->s : type_name(set->type)));
      }
      std::vector<Obj*>& members = set->args->items[0]->items;
      members.insert(members.end(), items.begin(), items.end());
      break;
    }
    case 0x91: {  // FROZENSET
      std::vector<Obj*> items = pop_mark();
      if (weights_only_) fail(global_refusal("builtins.frozenset", true));
      push(make_set("builtins.frozenset", std::move(items)));
      break;
    }
    case 'c': {  // GLOBAL
      std::string module = take_line();
      op_global(module, take_line());
      break;
    }
    case 0x93: {  // STACK_GLOBAL
      Obj* name = pop();
      Obj* module = pop();
      if (name->type != Type::string || module->type != Type::string) fail("STACK_GLOBAL needs two strings");
      op_global(module->s, name->s);
      break;
    }
    case 'R': op_reduce(); break;
    case 'b': op_build(); break;
    case 0x81: op_newobj(); break;
    case 'Q': op_persistent_id(); break;
    default: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", op);
      fail(std::string("unsupported pickle opcode ") + hex + " (not one torch.save writes)");
    }
  }
  return true;
}

void Unpickler::op_global(std::string module, std::string name) {
  std::string full = python3_global_name(module, name);
  const char* missing = module == "torch" ? unsupported_storage_dtype(name) : nullptr;
  if (missing != nullptr) {
    fail("the file holds " + std::string(missing) + " tensors (" + full + "), a dtype ember does not have");
  }
  const std::string refusal = global_refusal(full, weights_only_);
  if (!refusal.empty()) fail(refusal);
  // Not imported, in either mode: a known global is its name, any other an inert reference.
  Obj* o = make(is_known_global(full) ? Type::global : Type::object);
  o->s = std::move(full);
  push(o);
}

Obj* Unpickler::make_object(const std::string& name, Value::ObjectOrigin origin, Obj* args) {
  if (args->type != Type::tuple) fail(std::string("arguments for ") + name + " must be a tuple, found " + type_name(args->type));
  Obj* o = make(Type::object);
  o->s = name;
  o->origin = origin;
  o->args = args;
  return o;
}

// A set as protocol 2 pickles one, builtins.set([items]), whichever opcodes made it.
Obj* Unpickler::make_set(const char* name, std::vector<Obj*> items) {
  Obj* list = make(Type::list);
  list->items = std::move(items);
  Obj* args = make(Type::tuple);
  args->items.push_back(list);
  return make_object(name, Value::ObjectOrigin::reduce, args);
}

void Unpickler::append_to(Obj* list, const std::vector<Obj*>& items) {
  if (is_instance(list)) {  // a list subclass's items (object.__reduce_ex__'s listitems)
    if (list->listitems == nullptr) list->listitems = make(Type::list);
    list = list->listitems;
  }
  if (list->type != Type::list) fail(std::string("APPEND to a ") + type_name(list->type) + ", not a list");
  list->items.insert(list->items.end(), items.begin(), items.end());
}

void Unpickler::set_item(Obj* dict, Obj* key, Obj* value) {
  if (is_instance(dict)) {  // a dict subclass's items (object.__reduce_ex__'s dictitems)
    if (dict->dictitems == nullptr) dict->dictitems = make(Type::dict);
    dict = dict->dictitems;
  }
  if (dict->type != Type::dict) fail(std::string("SETITEM on a ") + type_name(dict->type) + ", not a dict");
  std::string index_key;
  if (key->type == Type::string) {
    index_key = "s" + key->s;
  } else if (key->type == Type::integer || key->type == Type::boolean) {
    index_key = "i" + std::to_string(key->i);  // Python: True == 1 as a key
  } else {
    fail(std::string("dict key of type ") + type_name(key->type) + " (ember keys are str or int)");
  }
  auto [it, inserted] = dict->key_index.emplace(index_key, dict->keys.size());
  if (inserted) {
    dict->keys.push_back(key);
    dict->items.push_back(value);
  } else {
    dict->items[it->second] = value;  // Python keeps the first key, takes the new value
  }
}

std::int64_t Unpickler::as_int(Obj* o, const char* what) {
  if (o->type != Type::integer) fail(std::string(what) + " must be an int, found " + type_name(o->type));
  return o->i;
}

Shape Unpickler::as_shape(Obj* o, const char* what) {
  if (o->type != Type::tuple && o->type != Type::list) {
    fail(std::string(what) + " must be a tuple, found " + type_name(o->type));
  }
  if (o->items.size() > 64) fail(std::string(what) + " has more than 64 dimensions");
  Shape shape;
  for (Obj* item : o->items) shape.push_back(as_int(item, what));
  return shape;
}

std::string Unpickler::as_key(Obj* o, const char* what) {
  if (o->type == Type::string && !o->s.empty()) return o->s;
  if (o->type == Type::integer) return std::to_string(o->i);
  fail(std::string(what) + " must be a string, found " + type_name(o->type));
}

void Unpickler::op_persistent_id() {
  // torch/serialization.py persistent_id: ('storage', torch.<Type>Storage, key, location,
  // numel[, view_metadata]). Legacy whole-model files also name each module class as
  // ('module', class, source_file, source), which torch.load turns into the class itself.
  Obj* pid = pop();
  if (pid->type != Type::tuple || pid->items.empty() || pid->items[0]->type != Type::string ||
      (pid->items[0]->s != "storage" && pid->items[0]->s != "module")) {
    fail("a persistent id must be a ('storage', ...) or ('module', ...) tuple");
  }
  const std::vector<Obj*>& f = pid->items;
  if (f[0]->s == "module") {
    if (f.size() != 4) fail("module persistent id must have 4 fields, found " + std::to_string(f.size()));
    push(f[1]);
    return;
  }
  if (f.size() != 5 && f.size() != 6) {
    fail("storage persistent id must have 5 or 6 fields, found " + std::to_string(f.size()));
  }
  StorageRef ref;
  if (f[1]->type != Type::global || f[1]->s.rfind("torch.", 0) != 0 ||
      !dtype_from_storage_class(f[1]->s.substr(6), &ref.dtype)) {
    fail("storage persistent id names no known torch.<Type>Storage class");
  }
  ref.key = as_key(f[2], "storage key");
  if (f[3]->type != Type::string) {
    fail(std::string("storage location must be a string, found ") + type_name(f[3]->type));
  }
  ref.location = f[3]->s;
  ref.numel = as_int(f[4], "storage size");
  if (ref.numel < 0) fail("storage has a negative size");
  if (f.size() == 6 && f[5]->type != Type::none) {
    Obj* view = f[5];
    if (view->type != Type::tuple || view->items.size() != 3) {
      fail("storage view metadata must be a (key, offset, size) tuple");
    }
    ref.is_view = true;
    ref.view_key = as_key(view->items[0], "storage view key");
    ref.view_offset = as_int(view->items[1], "storage view offset");
    ref.view_numel = as_int(view->items[2], "storage view size");
  }
  StorageSlice slice = loader_(ref);
  Obj* o = make(Type::storage);
  o->storage = std::move(slice.storage);
  o->offset = slice.offset;
  o->i = slice.numel;
  o->dtype = ref.dtype;
  push(o);
}

// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, metadata])
// from torch/_utils.py: a view of the storage. Bounds are checked here with a message, and
// again by Tensor::from_storage.
Obj* Unpickler::rebuild_tensor(const std::vector<Obj*>& args, std::size_t count) {
  Obj* storage = args[0];
  if (storage->type != Type::storage) fail("tensor rebuilt from a " + std::string(type_name(storage->type)) + ", not a storage");
  const std::int64_t offset = as_int(args[1], "storage offset");
  const Shape shape = as_shape(args[2], "tensor size");
  const Shape strides = as_shape(args[3], "tensor stride");
  if (shape.size() != strides.size()) fail("tensor size and stride have different lengths");
  // Highest element index the view reaches; numbers beyond 2^62 are rejected before they
  // can overflow.
  const std::int64_t kLimit = std::int64_t{1} << 62;
  bool empty = false;
  std::int64_t last = offset;
  if (offset < 0 || offset > kLimit) fail("tensor storage offset out of range");
  for (std::size_t k = 0; k < shape.size(); ++k) {
    if (shape[k] < 0 || shape[k] > kLimit || strides[k] < 0 || strides[k] > kLimit) {
      fail("tensor size " + shape_str(shape) + " / stride " + shape_str(strides) + " out of range");
    }
    if (shape[k] == 0) empty = true;
    if (shape[k] > 1 && strides[k] > (kLimit - last) / (shape[k] - 1)) fail("tensor extent overflows");
    if (shape[k] > 0) last += (shape[k] - 1) * strides[k];
  }
  const std::int64_t numel = storage->i;
  if ((!empty && last >= numel) || offset > numel) {
    fail("storage too short for its tensor: a tensor of size " + shape_str(shape) + ", stride " +
         shape_str(strides) + ", offset " + std::to_string(offset) + " needs " +
         std::to_string(last + 1) + " elements, the storage holds " + std::to_string(numel));
  }
  Obj* o = make(Type::tensor);
  try {
    o->tensor = Tensor::from_storage(storage->storage, storage->dtype, shape, strides, storage->offset + offset);
    if (count >= 5 && args[4]->type == Type::boolean && args[4]->i) o->tensor.requires_grad_(true);
  } catch (const SerializeError&) {
    throw;
  } catch (const Error& e) {
    fail(e.what());
  }
  return o;
}

void Unpickler::op_reduce() {
  Obj* args_obj = pop();
  Obj* callable = pop();
  if (callable->type == Type::object && callable->origin == Value::ObjectOrigin::global) {
    // TorchScript's typed containers (torch/jit/_pickle.py): build_intlist(data) and its kin
    // return their list, restore_type_tag(value, type_str) its value; that is what they read as.
    if (callable->s == "torch.jit._pickle.restore_type_tag" && args_obj->type == Type::tuple &&
        args_obj->items.size() == 2 && args_obj->items[1]->type == Type::string) {
      push(args_obj->items[0]);
      return;
    }
    static const char* const kTypedLists[] = {"torch.jit._pickle.build_intlist", "torch.jit._pickle.build_doublelist",
                                              "torch.jit._pickle.build_boollist", "torch.jit._pickle.build_tensorlist"};
    for (const char* typed : kTypedLists) {
      if (callable->s == typed && args_obj->type == Type::tuple && args_obj->items.size() == 1 &&
          args_obj->items[0]->type == Type::list) {
        push(args_obj->items[0]);
        return;
      }
    }
    push(make_object(callable->s, Value::ObjectOrigin::reduce, args_obj));  // recorded, not called
    return;
  }
  if (callable->type != Type::global) fail(std::string("REDUCE on a ") + type_name(callable->type));
  if (args_obj->type != Type::tuple) fail("REDUCE arguments must be a tuple");
  const std::vector<Obj*>& args = args_obj->items;
  const std::string& name = callable->s;
  if (name == "collections.OrderedDict") {
    if (!args.empty()) fail("OrderedDict(...) with arguments is not supported");
    Obj* o = make(Type::dict);
    o->ordered = true;
    push(o);
  } else if (name == "collections.Counter") {
    // Counter(counts): a scheduler's milestones (MultiStepLR); ember reads it as the dict.
    if (args.size() > 1 || (args.size() == 1 && args[0]->type != Type::dict)) fail("Counter(...) with unexpected arguments");
    push(args.empty() ? make(Type::dict) : args[0]);
  } else if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
    const std::size_t want = name == "torch._utils._rebuild_tensor" ? 4 : 6;
    if (args.size() != want && !(want == 6 && args.size() == 7)) {
      fail(name + " with " + std::to_string(args.size()) + " arguments");
    }
    push(rebuild_tensor(args, args.size()));
  } else if (name == "torch._utils._rebuild_parameter" ||
             name == "torch._utils._rebuild_parameter_with_state") {
    // (data, requires_grad, backward_hooks[, state]): a Parameter is its tensor in ember.
    if (args.size() < 3 || args[0]->type != Type::tensor || args[1]->type != Type::boolean) {
      fail(name + " with unexpected arguments");
    }
    Obj* o = make(Type::tensor);
    o->tensor = args[0]->tensor;
    if (args[1]->i && !o->tensor.requires_grad()) o->tensor.requires_grad_(true);
    push(o);
  } else {
    fail("'" + name + "' cannot be called while loading");
  }
}

void Unpickler::op_newobj() {
  // torch.nn.Parameter.__new__(Parameter, data[, requires_grad]).
  Obj* args = pop();
  Obj* cls = pop();
  if (cls->type == Type::object && cls->origin == Value::ObjectOrigin::global) {
    push(make_object(cls->s, Value::ObjectOrigin::newobj, args));  // cls.__new__(cls, *args), recorded
    return;
  }
  if (cls->type != Type::global || cls->s != "torch.nn.parameter.Parameter" || args->type != Type::tuple ||
      args->items.empty() || args->items[0]->type != Type::tensor) {
    fail("NEWOBJ is only allowed for torch.nn.Parameter(tensor)");
  }
  Obj* o = make(Type::tensor);
  o->tensor = args->items[0]->tensor;
  bool requires_grad = args->items.size() < 2 || args->items[1]->i != 0;
  if (requires_grad && !o->tensor.requires_grad()) o->tensor.requires_grad_(true);
  push(o);
}

void Unpickler::op_build() {
  Obj* state = pop();
  Obj* target = top();
  if (is_instance(target)) {
    target->state = state;  // what __setstate__ would get (a __dict__, or (dict, slotstate))
  } else if (target->type == Type::dict && target->ordered && state->type == Type::dict) {
    // OrderedDict.__dict__.update(state): state_dicts carry `_metadata` this way.
    for (std::size_t k = 0; k < state->keys.size(); ++k) {
      if (state->keys[k]->type == Type::string && state->keys[k]->s == "_metadata") {
        target->metadata = state->items[k];
      }
    }
  } else if (target->type == Type::tensor &&
             (state->type == Type::none || (state->type == Type::dict && state->keys.empty()))) {
    // A Parameter's empty __setstate__: nothing to do.
  } else {
    fail(std::string("BUILD on a ") + type_name(target->type) + " is not supported");
  }
}

Value Unpickler::to_value(Obj* o, std::size_t depth) {
  if (depth > limits_.max_depth) fail("nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
  if (budget_ == 0) fail("pickle expands into too many objects (shared references)");
  --budget_;
  // A container met again below itself: Python's repr prints [...], a tree cannot hold it.
  if (o->visiting) {
    fail(std::string("the pickle holds a reference cycle (") + (o->type == Type::object ? "an " : "a ") +
         type_name(o->type) + " that contains itself), which a Value tree cannot hold");
  }
  struct Visit {
    Obj* o;
    ~Visit() { o->visiting = false; }
  } visit{o};
  o->visiting = true;
  switch (o->type) {
    case Type::none: return Value();
    case Type::boolean: return Value(o->i != 0);
    case Type::integer: return Value(static_cast<long long>(o->i));
    case Type::real: return Value(o->d);
    case Type::string: return Value(o->s);
    case Type::tensor: return Value(o->tensor);
    case Type::tuple:
    case Type::list: {
      std::vector<Value> items;
      items.reserve(o->items.size());
      for (Obj* item : o->items) items.push_back(to_value(item, depth + 1));
      return o->type == Type::tuple ? Value::tuple(std::move(items)) : Value::list(std::move(items));
    }
    case Type::dict: {
      std::vector<Key> keys;
      std::vector<Value> values;
      keys.reserve(o->keys.size());
      values.reserve(o->keys.size());
      for (std::size_t k = 0; k < o->keys.size(); ++k) {
        Obj* key = o->keys[k];
        if (key->type == Type::string) keys.emplace_back(key->s);
        else keys.emplace_back(key->i);
        values.push_back(to_value(o->items[k], depth + 1));
      }
      Value dict = Value::dict_from(std::move(keys), std::move(values), o->ordered);
      if (o->metadata != nullptr) dict.set_metadata(to_value(o->metadata, depth + 1));
      return dict;
    }
    case Type::object: return object_value(o, depth);
    case Type::bytes: fail("the file holds a bytes object, which ember's Value cannot hold");
    case Type::global:
      if (!weights_only_) return Value::object(o->s, Value::ObjectOrigin::global);
      fail("the file holds a bare Python global ('" + o->s + "')");
    case Type::storage: fail("the file holds a bare storage (torch.save(tensor.storage())); save tensors instead");
  }
  fail("unknown object");
}

Value Unpickler::object_value(Obj* o, std::size_t depth) {
  if (o->origin == Value::ObjectOrigin::global) return Value::object(o->s, o->origin);
  Value args = to_value(o->args, depth + 1);
  Value state = o->state != nullptr ? to_value(o->state, depth + 1) : Value();
  Value listitems = o->listitems != nullptr ? to_value(o->listitems, depth + 1) : Value::list();
  Value dictitems = o->dictitems != nullptr ? to_value(o->dictitems, depth + 1) : Value::dict();
  return Value::object(o->s, o->origin, std::move(args), std::move(state), std::move(listitems),
                       std::move(dictitems));
}

Value Unpickler::run() {
  while (true) {
    if (pos_ >= size_) {
      op_pos_ = pos_;
      fail("pickle stream ends without STOP (truncated)");
    }
    if (!step()) break;
  }
  Obj* result = pop();
  // Each arena object can appear in the result several times through the memo; a generous
  // budget allows that and still stops exponential blow-up from nested shared references.
  budget_ = 4 * arena_.size() + 1024;
  return to_value(result, 0);
}

}  // namespace

Value unpickle(const std::uint8_t* data, std::size_t size, const StorageLoader& load_storage,
               const std::string& file, const std::string& entry, const PickleOptions& options,
               std::size_t* end) {
  Unpickler machine(data, size, load_storage, file, entry, options);
  Value value = machine.run();
  if (end != nullptr) *end = machine.end();
  return value;
}

Value unpickle(const std::uint8_t* data, std::size_t size, const StorageLoader& load_storage,
               const std::string& file, const std::string& entry, const PickleLimits& limits,
               std::size_t* end) {
  PickleOptions options;
  options.limits = limits;
  return unpickle(data, size, load_storage, file, entry, options, end);
}

}  // namespace ember::serialize
