// The protocol-2 pickler: the same opcodes CPython's pickle.Pickler chooses for each type.
#include "ember/serialize/pickle_writer.h"

#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "ember/serialize/torch_names.h"
#include "ember/tensor/error.h"

namespace ember::serialize {

namespace {

// The first byte at which s stops being UTF-8, or npos. Python's pickle writes a str as UTF-8
// (surrogates allowed, "surrogatepass") and every unpickler decodes it the same way, so
// anything else would make a file that torch.load cannot read.
std::size_t invalid_utf8_at(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto lead = static_cast<unsigned char>(s[i]);
    const std::size_t extra = lead < 0x80 ? 0 : (lead >> 5) == 6 ? 1 : (lead >> 4) == 14 ? 2 : (lead >> 3) == 30 ? 3 : 4;
    if (extra == 4 || s.size() - i <= extra) return i;
    std::uint32_t code = extra == 0 ? lead : lead & (0x3Fu >> extra);
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(s[i + k]);
      if ((next >> 6) != 2) return i;
      code = (code << 6) | (next & 0x3Fu);
    }
    static const std::uint32_t kShortest[] = {0, 0x80, 0x800, 0x10000};  // no overlong forms
    if (code < kShortest[extra] || code > 0x10FFFF) return i;
    i += extra + 1;
  }
  return std::string::npos;
}

// s for a message: printable ASCII as is, other bytes as \xNN, at most 60 of them.
std::string escaped(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < 60; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return s.size() > 60 ? out + "..." : out;
}

// what ("str" or "key") is a user's string in where, whose path the message names.
void check_utf8(const std::string& s, const Value& where, const char* what) {
  const std::size_t bad = invalid_utf8_at(s);
  if (bad == std::string::npos) return;
  check(false, where.path(), ": ", what, " '", escaped(s), "' is not valid UTF-8 (byte ", bad,
        "); Python's pickle stores str as UTF-8, so torch.load could not read the file");
}

class Pickler {
 public:
  Pickled run(const Value& value) {
    out_.bytes += "\x80\x02";  // PROTO 2
    write(value, 0);
    out_.bytes += '.';  // STOP
    return std::move(out_);
  }

 private:
  void put_u32(std::uint32_t v) {
    for (int k = 0; k < 4; ++k) out_.bytes += static_cast<char>((v >> (8 * k)) & 0xFF);
  }
  void write(const Value& v, int depth);
  void write_int(std::int64_t i);
  void write_double(double d);
  void write_string(const std::string& s);
  void write_global(const std::string& module, const std::string& name);
  void write_sequence(const std::vector<Value>& items, bool tuple, int depth);
  void write_dict(const Value& dict, int depth);
  void write_object(const Value& object, int depth);
  void write_tensor(const Tensor& t);
  void write_shape(const Shape& shape);
  void write_empty_ordered_dict() {
    write_global("collections", "OrderedDict");
    out_.bytes += ")R";  // EMPTY_TUPLE, REDUCE
  }

  Pickled out_;
  std::unordered_map<std::string, std::uint32_t> global_memo_;
  std::unordered_map<const Storage*, std::size_t> storage_index_;
};

void Pickler::write(const Value& v, int depth) {
  check(depth < 1000, "save: Value nested deeper than 1000 levels");
  switch (v.kind()) {
    case Value::Kind::none: out_.bytes += 'N'; break;
    case Value::Kind::boolean: out_.bytes += v.as_bool() ? '\x88' : '\x89'; break;
    case Value::Kind::integer: write_int(v.as_int()); break;
    case Value::Kind::real: write_double(v.as_double()); break;
    case Value::Kind::string:
      check_utf8(v.as_string(), v, "str");
      write_string(v.as_string());
      break;
    case Value::Kind::tensor: write_tensor(v.as_tensor()); break;
    case Value::Kind::list: write_sequence(v.items(), false, depth); break;
    case Value::Kind::tuple: write_sequence(v.items(), true, depth); break;
    case Value::Kind::dict: write_dict(v, depth); break;
    case Value::Kind::object: write_object(v, depth); break;
  }
}

void Pickler::write_int(std::int64_t i) {
  if (i >= 0 && i <= 0xFF) {
    out_.bytes += 'K';
    out_.bytes += static_cast<char>(i);
  } else if (i >= 0 && i <= 0xFFFF) {
    out_.bytes += 'M';
    out_.bytes += static_cast<char>(i & 0xFF);
    out_.bytes += static_cast<char>(i >> 8);
  } else if (i >= INT32_MIN && i <= INT32_MAX) {
    out_.bytes += 'J';
    put_u32(static_cast<std::uint32_t>(static_cast<std::int32_t>(i)));
  } else {
    // LONG1: the shortest little-endian two's complement that keeps the sign.
    std::string digits;
    std::uint64_t u = static_cast<std::uint64_t>(i);
    for (int k = 0; k < 8; ++k) digits += static_cast<char>((u >> (8 * k)) & 0xFF);
    while (digits.size() > 1) {
      const auto last = static_cast<unsigned char>(digits.back());
      const auto prev = static_cast<unsigned char>(digits[digits.size() - 2]);
      if ((last == 0 && !(prev & 0x80)) || (last == 0xFF && (prev & 0x80))) digits.pop_back();
      else break;
    }
    out_.bytes += '\x8a';
    out_.bytes += static_cast<char>(digits.size());
    out_.bytes += digits;
  }
}

void Pickler::write_double(double d) {
  std::uint64_t bits;
  std::memcpy(&bits, &d, 8);
  out_.bytes += 'G';  // BINFLOAT, big-endian
  for (int k = 7; k >= 0; --k) out_.bytes += static_cast<char>((bits >> (8 * k)) & 0xFF);
}

void Pickler::write_string(const std::string& s) {
  check(s.size() <= 0xFFFFFFFFu, "save: string too long for pickle protocol 2");
  out_.bytes += 'X';  // BINUNICODE
  put_u32(static_cast<std::uint32_t>(s.size()));
  out_.bytes += s;
}

void Pickler::write_global(const std::string& module, const std::string& name) {
  const std::string full = module + "\n" + name + "\n";
  auto it = global_memo_.find(full);
  if (it != global_memo_.end()) {  // BINGET / LONG_BINGET
    if (it->second < 256) {
      out_.bytes += 'h';
      out_.bytes += static_cast<char>(it->second);
    } else {
      out_.bytes += 'j';
      put_u32(it->second);
    }
    return;
  }
  const auto index = static_cast<std::uint32_t>(global_memo_.size());
  global_memo_.emplace(full, index);
  out_.bytes += 'c' + full;
  if (index < 256) {  // BINPUT / LONG_BINPUT
    out_.bytes += 'q';
    out_.bytes += static_cast<char>(index);
  } else {
    out_.bytes += 'r';
    put_u32(index);
  }
}

// An object as pickle's save_reduce writes one: the class (or callable), then for NEWOBJ or
// REDUCE its args and the call, then the items APPEND(S) and SETITEM(S) gave it, then its
// state and BUILD. Python 3 writes builtins as __builtin__ at protocol 2, for Python 2.
void Pickler::write_object(const Value& object, int depth) {
  const std::string& name = object.class_name();
  const auto dot = name.rfind('.');
  check(dot != std::string::npos && dot > 0 && dot + 1 < name.size(), "save: ", object.path(),
        ": expected a class name 'module.name', found '", name, "'");
  const std::string module = name.substr(0, dot);
  write_global(module == "builtins" ? "__builtin__" : module, name.substr(dot + 1));
  if (object.object_origin() == Value::ObjectOrigin::global) return;
  const Value& args = object.object_args();
  check(args.is_tuple(), "save: ", object.path(), ": expected the args of ", name,
        " to be a tuple, found ", args.kind_name());
  write_sequence(args.items(), true, depth);
  out_.bytes += object.object_origin() == Value::ObjectOrigin::newobj ? '\x81' : 'R';
  const Value& listitems = object.object_listitems();
  if (!listitems.is_none() && listitems.size() > 0) {
    out_.bytes += '(';  // MARK
    for (const Value& item : listitems.items()) write(item, depth + 1);
    out_.bytes += 'e';  // APPENDS
  }
  const Value& dictitems = object.object_dictitems();
  if (!dictitems.is_none() && dictitems.size() > 0) {
    out_.bytes += '(';
    for (const auto& [key, value] : dictitems) {
      if (std::holds_alternative<std::string>(key)) write_string(std::get<std::string>(key));
      else write_int(std::get<std::int64_t>(key));
      write(value, depth + 1);
    }
    out_.bytes += 'u';  // SETITEMS
  }
  if (!object.object_state().is_none()) {
    write(object.object_state(), depth + 1);
    out_.bytes += 'b';  // BUILD
  }
}

void Pickler::write_sequence(const std::vector<Value>& items, bool tuple, int depth) {
  if (tuple) {
    if (items.empty()) {
      out_.bytes += ')';
      return;
    }
    if (items.size() > 3) out_.bytes += '(';
    for (const Value& item : items) write(item, depth + 1);
    static const char kTupleN[] = {'\0', '\x85', '\x86', '\x87'};
    out_.bytes += items.size() > 3 ? 't' : kTupleN[items.size()];
    return;
  }
  out_.bytes += ']';
  // As CPython: batches of up to 1000 with MARK ... APPENDS, a lone item with APPEND.
  for (std::size_t begin = 0; begin < items.size(); begin += 1000) {
    std::size_t end = std::min(items.size(), begin + 1000);
    if (end - begin == 1) {
      write(items[begin], depth + 1);
      out_.bytes += 'a';
      continue;
    }
    out_.bytes += '(';
    for (std::size_t k = begin; k < end; ++k) write(items[k], depth + 1);
    out_.bytes += 'e';
  }
}

void Pickler::write_dict(const Value& dict, int depth) {
  if (dict.is_ordered_dict()) write_empty_ordered_dict();
  else out_.bytes += '}';
  const std::vector<Key>& keys = dict.keys();
  const std::vector<Value>& values = dict.values();
  for (std::size_t begin = 0; begin < keys.size(); begin += 1000) {
    std::size_t end = std::min(keys.size(), begin + 1000);
    if (end - begin > 1) out_.bytes += '(';
    for (std::size_t k = begin; k < end; ++k) {
      if (const auto* s = std::get_if<std::string>(&keys[k])) {
        check_utf8(*s, dict, "key");
        write_string(*s);
      } else {
        write_int(std::get<std::int64_t>(keys[k]));
      }
      write(values[k], depth + 1);
    }
    out_.bytes += end - begin > 1 ? 'u' : 's';
  }
  const Value& metadata = dict.metadata();
  if (!metadata.is_none()) {  // state_dict._metadata = ..., as OrderedDict.__reduce__ gives
    out_.bytes += '}';
    write_string("_metadata");
    write(metadata, depth + 1);
    out_.bytes += "sb";  // SETITEM, BUILD
  }
}

void Pickler::write_shape(const Shape& shape) {
  write_sequence(std::vector<Value>(shape.begin(), shape.end()), true, 0);
}

void Pickler::write_tensor(const Tensor& t) {
  check(t.defined(), "save: cannot save an undefined tensor");
  const std::shared_ptr<Storage>& storage = t.storage();
  const std::size_t element = element_size(t.dtype());
  auto [it, inserted] = storage_index_.emplace(storage.get(), out_.storages.size());
  if (inserted) {
    check(storage->nbytes() % element == 0, "save: storage of ", storage->nbytes(),
          " bytes is not a whole number of ", dtype_name(t.dtype()), " elements");
    out_.storages.push_back({std::to_string(out_.storages.size()), storage, t.dtype(), storage->nbytes()});
  }
  const StorageRecord& record = out_.storages[it->second];
  check(record.dtype == t.dtype(), "save: two tensors share a storage with different dtypes (",
        dtype_name(record.dtype), " and ", dtype_name(t.dtype()), "); save a copy of one");

  write_global("torch._utils", "_rebuild_tensor_v2");
  out_.bytes += '(';
  // The storage as a persistent id: ('storage', torch.FloatStorage, '0', 'cpu', numel).
  out_.bytes += '(';
  write_string("storage");
  write_global("torch", storage_class_name(t.dtype()));
  write_string(record.key);
  write_string("cpu");
  write_int(static_cast<std::int64_t>(record.nbytes / element));
  out_.bytes += "tQ";  // TUPLE, BINPERSID
  write_int(t.storage_offset());
  write_shape(t.shape());
  write_shape(t.strides());
  out_.bytes += t.requires_grad() ? '\x88' : '\x89';
  write_empty_ordered_dict();  // backward hooks
  out_.bytes += "tR";  // TUPLE, REDUCE
}

}  // namespace

Pickled pickle(const Value& value) { return Pickler().run(value); }

}  // namespace ember::serialize
