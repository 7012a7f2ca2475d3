// The stand-ins that weights_only_checker puts on its model of the unpickler's stack, and the
// small facts about pickles it needs (opcode names, what BINUNICODE decodes, what hashes).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/weights_only_globals.h"

namespace ember::test::weights_only {

// A stand-in for what the unpickler's stack would hold.
enum class Type { none, boolean, integer, real, string, bytes, tuple, list, dict, ordered_dict,
                  counter, set, global, storage, tensor, parameter, object };

struct Obj;
using Ref = std::shared_ptr<Obj>;
struct Obj {
  Type type = Type::none;
  std::int64_t integer = 0;  // integer, boolean
  bool huge = false;         // integer: does not fit int64 (a LONG1 of more than 8 bytes)
  std::string text;          // string, bytes; global: dotted name; storage: class; object: class
  std::vector<Ref> items;    // tuple, list; the dicts: key, value, key, value, ...
  GlobalInfo global;         // global
  std::uint64_t numel = 0;   // storage: elements
  bool floating = false;     // storage: holds a floating-point or complex dtype
};

// "torch.Tensor", "list", ... for messages.
const char* type_name(const Obj& o);
// dict, OrderedDict or Counter: what SETITEM(S) may fill.
bool is_dict(const Obj& o);
// Whether Python could use it as a dict key (lists, dicts and sets cannot, nor tuples holding one).
bool hashable(const Obj& o);
// "FRAME", "SHORT_BINUNICODE", ... for any pickle opcode.
const char* opcode_name(unsigned char op);
// str(bytes, "utf-8", "surrogatepass"), as BINUNICODE is decoded: UTF-8 that may encode
// surrogates, but no overlong forms, stray continuation bytes or code points past U+10FFFF.
bool valid_utf8(const std::string& s);

// What the checker throws at the first thing PyTorch would refuse.
struct Refusal {
  std::string reason;
};
[[noreturn]] void refuse(std::string reason);

Ref make(Type type);
Ref make_int(std::int64_t v, bool huge = false);

}  // namespace ember::test::weights_only
