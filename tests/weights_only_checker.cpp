// The opcode loop of torch/_weights_only_unpickler.py run over inert stand-ins (nothing is
// built but the structure its rules look at), then what torch.load does with the result:
// persistent_load for each storage and _rebuild_tensor_v2's set_ for each tensor.
#include "tests/weights_only_checker.h"

#include <algorithm>
#include <cstdio>

#include "ember/serialize/zip_reader.h"
#include "tests/programs.h"
#include "tests/weights_only_calls.h"
#include "tests/weights_only_values.h"

namespace ember::test {

namespace {

using namespace weights_only;

class Checker {
 public:
  Checker(const std::string& data, TorchRules rules, const std::map<std::string, std::uint64_t>* records,
          const std::vector<std::string>& safe_globals)
      : data_(data), v26_(rules == TorchRules::pytorch_2_6), rules_(rules), records_(records),
        safe_globals_(safe_globals) {}

  WeightsOnlyReport run() {
    WeightsOnlyReport report;
    try {
      while (!stopped_) {
        start_ = pos_;
        if (pos_ >= data_.size()) refuse("the pickle ends without STOP");
        step(static_cast<unsigned char>(data_[pos_++]));
      }
      report.accepted = true;
    } catch (const Refusal& r) {
      report.reason = r.reason;
    }
    report.offset = start_;
    report.globals = globals_;
    return report;
  }

 private:
  std::string read(std::size_t n) {
    if (data_.size() - pos_ < n) refuse("the pickle is truncated");
    pos_ += n;
    return data_.substr(pos_ - n, n);
  }
  std::uint32_t read_u32() {
    const std::string b = read(4);
    std::uint32_t v = 0;
    for (int k = 3; k >= 0; --k) v = (v << 8) | static_cast<unsigned char>(b[k]);
    return v;
  }
  std::string read_line() {
    const std::size_t end = data_.find('\n', pos_);
    if (end == std::string::npos) refuse("the pickle is truncated inside a GLOBAL");
    std::string line = data_.substr(pos_, end - pos_);
    pos_ = end + 1;
    if (!valid_utf8(line)) refuse("GLOBAL name is not UTF-8");
    return line;
  }
  void push(Ref o) { stack_.push_back(std::move(o)); }
  Ref pop() {
    if (stack_.empty()) refuse("stack underflow");
    Ref o = std::move(stack_.back());
    stack_.pop_back();
    return o;
  }
  Ref& top() {
    if (stack_.empty()) refuse("stack underflow");
    return stack_.back();
  }
  std::vector<Ref> pop_mark() {
    if (metastack_.empty()) refuse("no MARK to pop to");
    std::vector<Ref> items = std::move(stack_);
    stack_ = std::move(metastack_.back());
    metastack_.pop_back();
    return items;
  }

  void step(unsigned char op);
  void global();
  void reduce();
  void newobj();
  void build();
  void persistent_id();
  void set_items(std::vector<Ref> items, const char* opcode);

  const std::string& data_;
  const bool v26_;
  const TorchRules rules_;
  const std::map<std::string, std::uint64_t>* records_;
  const std::vector<std::string>& safe_globals_;
  std::size_t pos_ = 0, start_ = 0;
  bool stopped_ = false;
  std::vector<Ref> stack_;
  std::vector<std::vector<Ref>> metastack_;
  std::map<std::uint32_t, Ref> memo_;
  std::map<std::string, Ref> storages_;  // by key, as persistent_load caches them
  std::vector<std::string> globals_;
};

void Checker::step(unsigned char op) {
  switch (op) {
    case 0x80: read(1); return;  // PROTO: the version is read and ignored (2.6 warns unless 2)
    case '.': pop(); stopped_ = true; return;
    case 'c': global(); return;
    case 'R': reduce(); return;
    case 0x81: newobj(); return;
    case 'b': build(); return;
    case 'Q': persistent_id(); return;
    case '(': metastack_.push_back(std::move(stack_)); stack_.clear(); return;
    case 'a': {
      Ref item = pop();
      if (top()->type != Type::list) refuse(std::string("APPEND to ") + type_name(*top()) + ", not a list");
      top()->items.push_back(item);
      return;
    }
    case 'e': {
      std::vector<Ref> items = pop_mark();
      if (top()->type != Type::list) refuse(std::string("APPENDS to ") + type_name(*top()) + ", not a list");
      top()->items.insert(top()->items.end(), items.begin(), items.end());
      return;
    }
    case 's': {
      Ref value = pop(), key = pop();
      set_items({key, value}, "SETITEM");
      return;
    }
    case 'u': set_items(pop_mark(), "SETITEMS"); return;
    case 't': {
      Ref t = make(Type::tuple);
      t->items = pop_mark();
      push(t);
      return;
    }
    case 0x85: case 0x86: case 0x87: {  // TUPLE1, TUPLE2, TUPLE3
      const std::size_t n = op - 0x84u;
      if (stack_.size() < n) refuse("stack underflow");
      Ref t = make(Type::tuple);
      t->items.assign(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
      stack_.resize(stack_.size() - n);
      push(t);
      return;
    }
    case 'N': push(make(Type::none)); return;
    case 0x88: case 0x89: {
      Ref b = make(Type::boolean);
      b->integer = op == 0x88;
      push(b);
      return;
    }
    case ')': push(make(Type::tuple)); return;
    case ']': push(make(Type::list)); return;
    case '}': push(make(Type::dict)); return;
    case 0x8f: push(make(Type::set)); return;
    case 'J': push(make_int(static_cast<std::int32_t>(read_u32()))); return;
    case 'K': push(make_int(static_cast<unsigned char>(read(1)[0]))); return;
    case 'M': {
      const std::string b = read(2);
      push(make_int(static_cast<unsigned char>(b[0]) | (static_cast<unsigned char>(b[1]) << 8)));
      return;
    }
    case 0x8a: {  // LONG1: little-endian two's complement
      const std::string b = read(static_cast<unsigned char>(read(1)[0]));
      std::uint64_t u = 0;
      for (std::size_t k = std::min<std::size_t>(b.size(), 8); k-- > 0;) u = (u << 8) | static_cast<unsigned char>(b[k]);
      if (!b.empty() && b.size() < 8 && (static_cast<unsigned char>(b.back()) & 0x80)) u |= ~0ull << (8 * b.size());
      push(make_int(static_cast<std::int64_t>(u), b.size() > 8));
      return;
    }
    case 'G':
      if (!v26_) break;  // 1.13 has no BINFLOAT
      read(8);
      push(make(Type::real));
      return;
    case 'X': {
      Ref s = make(Type::string);
      s->text = read(read_u32());
      if (!valid_utf8(s->text)) refuse("BINUNICODE string is not UTF-8 (PyTorch's str() of it fails)");
      push(s);
      return;
    }
    case 'U': {
      Ref s = make(Type::bytes);  // torch.load decodes it with its encoding; ASCII here
      s->text = read(static_cast<unsigned char>(read(1)[0]));
      push(s);
      return;
    }
    case 'h': case 'j': {
      const std::uint32_t i = op == 'h' ? static_cast<unsigned char>(read(1)[0]) : read_u32();
      auto it = memo_.find(i);
      if (it == memo_.end()) refuse("memo " + std::to_string(i) + " was never stored");
      push(it->second);
      return;
    }
    case 'q': case 'r': {
      const std::uint32_t i = op == 'q' ? static_cast<unsigned char>(read(1)[0]) : read_u32();
      memo_[i] = top();
      return;
    }
    default: break;
  }
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", op);
  refuse(std::string("opcode ") + opcode_name(op) + " (" + hex + ") is not one PyTorch " +
         (v26_ ? "2.6" : "1.13") + "'s weights_only unpickler implements");
}

void Checker::global() {
  const std::string module = read_line(), name = read_line();
  const std::string full = module + "." + name;
  if (std::find(globals_.begin(), globals_.end(), full) == globals_.end()) globals_.push_back(full);
  Ref g = make(Type::global);
  g->text = full;
  const bool safe = v26_ && std::find(safe_globals_.begin(), safe_globals_.end(), full) != safe_globals_.end();
  if (safe) g->global.kind = GlobalKind::safe_class;
  else g->global = classify_global(module, name, rules_);
  if (g->global.kind == GlobalKind::refused) refuse(g->global.refusal);
  push(g);
}

void Checker::set_items(std::vector<Ref> items, const char* opcode) {
  const Obj& target = *top();
  if (!is_dict(target)) {
    refuse(std::string(opcode) + " on " + type_name(target) + ": only a dict, OrderedDict or Counter takes items");
  }
  if (items.size() % 2 != 0) refuse(std::string(opcode) + " with an odd number of keys and values");
  for (std::size_t k = 0; k < items.size(); k += 2) {
    if (!hashable(*items[k])) refuse(std::string(opcode) + ": a dict key of type " + type_name(*items[k]) + " is unhashable");
  }
  top()->items.insert(top()->items.end(), items.begin(), items.end());
}

void Checker::reduce() {
  Ref args = pop();
  const Obj& func = *top();
  if (func.type != Type::global) refuse(std::string("REDUCE calls ") + type_name(func) + ", not an allowed global");
  if (args->type != Type::tuple) refuse("REDUCE arguments of " + func.text + " are not a tuple");
  top() = call(func, args->items, rules_);
}

void Checker::newobj() {
  Ref args = pop(), cls = pop();
  if (cls->type != Type::global) refuse(std::string("NEWOBJ of ") + type_name(*cls) + ", not an allowed class");
  if (args->type != Type::tuple) refuse("NEWOBJ arguments of " + cls->text + " are not a tuple");
  const GlobalKind k = cls->global.kind;
  if (k == GlobalKind::parameter) {
    push(make(Type::parameter));
    return;
  }
  if (!v26_) refuse("NEWOBJ of " + cls->text + ": 1.13 creates only torch.nn.Parameter");
  // cls.__new__(cls, *args): an empty instance of the classes, nothing for a function or value.
  switch (k) {
    case GlobalKind::ordered_dict: push(make(Type::ordered_dict)); return;
    case GlobalKind::counter: push(make(Type::counter)); return;
    case GlobalKind::set: push(make(Type::set)); return;
    case GlobalKind::bytearray: push(make(Type::bytes)); return;
    case GlobalKind::size: push(make(Type::tuple)); return;
    case GlobalKind::tensor_class: push(make(Type::tensor)); return;
    case GlobalKind::safe_class:
    case GlobalKind::device:
    case GlobalKind::untyped_storage:
    case GlobalKind::typed_storage: {
      Ref o = make(Type::object);
      o->text = cls->text;
      push(o);
      return;
    }
    default: refuse("NEWOBJ of " + cls->text + ", which is not a class");
  }
}

void Checker::build() {
  Ref state = pop();
  const Obj& inst = *top();
  switch (inst.type) {
    case Type::tensor:  // legacy: inst.set_(*state)
      if (state->type != Type::tuple) refuse("BUILD of a tensor from " + std::string(type_name(*state)) + ", not a tuple");
      return;
    case Type::parameter: return;  // Parameter.__setstate__(state)
    case Type::ordered_dict:  // inst.__dict__.update(state): attributes such as _metadata
      if (!is_dict(*state)) refuse("BUILD of an OrderedDict from " + std::string(type_name(*state)) + ", not a dict");
      return;
    case Type::object:  // an add_safe_globals class: inst.__setstate__(state) or __dict__.update
      if (std::find(safe_globals_.begin(), safe_globals_.end(), inst.text) != safe_globals_.end()) {
        if (!is_dict(*state)) refuse("BUILD of " + inst.text + " from " + type_name(*state) + ", not a dict");
        return;
      }
      [[fallthrough]];
    default:
      refuse(std::string("BUILD of ") + type_name(inst) + ": only a Tensor, a Parameter or an OrderedDict can be built");
  }
}

// The storage persistent id torch.save writes: ('storage', <storage class>, key, location,
// numel). The unpickler takes only a 'storage' tuple; torch.load's persistent_load then
// unpacks exactly four more items and reads the record data/<key> of numel elements.
void Checker::persistent_id() {
  Ref pid = pop();
  if (pid->type == Type::integer) refuse(v26_ ? "persistent id is an int, which torch.load cannot index"
                                              : "persistent id is an int (1.13 refuses those)");
  if (pid->type != Type::tuple) refuse(std::string("persistent id is ") + type_name(*pid) + ", not a tuple");
  const std::vector<Ref>& p = pid->items;
  const bool named = !p.empty() && (p[0]->type == Type::string || p[0]->type == Type::bytes) && p[0]->text == "storage";
  if (!named) refuse("persistent id is not a ('storage', ...) tuple: only storages are loaded");
  if (p.size() != 5) refuse("storage persistent id has " + std::to_string(p.size()) + " items, not 5");
  const Obj& cls = *p[1];
  const bool storage_class = cls.type == Type::global && (cls.global.kind == GlobalKind::storage_class ||
                                                          cls.global.kind == GlobalKind::untyped_storage);
  if (!storage_class) refuse(std::string("storage persistent id names ") + (cls.type == Type::global ? cls.text : type_name(cls)) +
                             ", not a storage class with a dtype");
  if (p[2]->type != Type::string) refuse("storage key is not a str");
  if (p[3]->type != Type::string && p[3]->type != Type::bytes) refuse("storage location is not a str");
  if (p[4]->type != Type::integer || p[4]->huge || p[4]->integer < 0) refuse("storage numel is not a non-negative int");
  const std::string& key = p[2]->text;
  const auto numel = static_cast<std::uint64_t>(p[4]->integer);
  auto seen = storages_.find(key);
  if (seen != storages_.end()) {
    // persistent_load returns the first storage of a key whatever the later ids say.
    if (seen->second->text != cls.text || seen->second->numel != numel) {
      refuse("storage '" + key + "' is named as " + seen->second->text + " of " + std::to_string(seen->second->numel) +
             " and as " + cls.text + " of " + std::to_string(numel) + " elements");
    }
    push(seen->second);
    return;
  }
  if (records_ != nullptr) {
    auto record = records_->find(key);
    if (record == records_->end()) refuse("storage '" + key + "' has no record data/" + key);
    if (numel > (std::uint64_t{1} << 56) || record->second != numel * cls.global.element_size) {
      refuse("storage '" + key + "' of " + std::to_string(numel) + " elements of " + std::to_string(cls.global.element_size) +
             " bytes, but its record holds " + std::to_string(record->second) + " bytes");
    }
  }
  Ref storage = make(Type::storage);
  storage->text = cls.text;
  storage->numel = numel;
  storage->floating = cls.global.floating || cls.global.kind == GlobalKind::untyped_storage;
  storages_.emplace(key, storage);
  push(storage);
}

}  // namespace

std::string WeightsOnlyReport::describe() const {
  return accepted ? "accepted" : "byte " + std::to_string(offset) + ": " + reason;
}

WeightsOnlyReport check_weights_only(const std::string& pickle, TorchRules rules,
                                     const std::map<std::string, std::uint64_t>* records,
                                     const std::vector<std::string>& safe_globals) {
  return Checker(pickle, rules, records, safe_globals).run();
}

WeightsOnlyReport check_weights_only_file(const std::string& path, TorchRules rules,
                                          const std::vector<std::string>& safe_globals) {
  const std::string bytes = read_file(path);
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  serialize::ZipReader zip(data, bytes.size(), path);
  const std::string* pickle_name = nullptr;
  for (const serialize::ZipReader::Entry& e : zip.entries()) {
    const std::size_t slash = e.name.find('/');
    if (slash != std::string::npos && e.name.substr(slash) == "/data.pkl") pickle_name = &e.name;
  }
  if (pickle_name == nullptr) throw std::runtime_error(path + ": no <archive>/data.pkl");
  const std::string prefix = pickle_name->substr(0, pickle_name->size() - 8) + "data/";
  std::map<std::string, std::uint64_t> records;
  for (const serialize::ZipReader::Entry& e : zip.entries()) {
    if (e.name.compare(0, prefix.size(), prefix) == 0) records[e.name.substr(prefix.size())] = e.size;
  }
  const std::vector<std::uint8_t> pickle = zip.extract(*pickle_name);
  return check_weights_only(std::string(pickle.begin(), pickle.end()), rules, &records, safe_globals);
}

}  // namespace ember::test
