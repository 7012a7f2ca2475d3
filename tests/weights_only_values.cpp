// The checker's stand-ins and pickle facts; opcode names from CPython's Lib/pickle.py.
#include "tests/weights_only_values.h"

namespace ember::test::weights_only {

const char* type_name(const Obj& o) {
  static const char* const kNames[] = {"None", "bool", "int", "float", "str", "bytes", "tuple", "list",
                                       "dict", "collections.OrderedDict", "collections.Counter", "set",
                                       "a global", "a storage", "torch.Tensor", "torch.nn.Parameter",
                                       "an object"};
  return kNames[static_cast<int>(o.type)];
}

bool is_dict(const Obj& o) {
  return o.type == Type::dict || o.type == Type::ordered_dict || o.type == Type::counter;
}

bool hashable(const Obj& o) {
  if (o.type == Type::list || o.type == Type::set || is_dict(o)) return false;
  if (o.type != Type::tuple) return true;
  for (const Ref& item : o.items) {
    if (!hashable(*item)) return false;
  }
  return true;
}

const char* opcode_name(unsigned char op) {
  switch (op) {
    case '(': return "MARK";          case '.': return "STOP";         case '0': return "POP";
    case '1': return "POP_MARK";      case '2': return "DUP";          case 'F': return "FLOAT";
    case 'I': return "INT";           case 'J': return "BININT";       case 'K': return "BININT1";
    case 'L': return "LONG";          case 'M': return "BININT2";      case 'N': return "NONE";
    case 'P': return "PERSID";        case 'Q': return "BINPERSID";    case 'R': return "REDUCE";
    case 'S': return "STRING";        case 'T': return "BINSTRING";    case 'U': return "SHORT_BINSTRING";
    case 'V': return "UNICODE";       case 'X': return "BINUNICODE";   case 'a': return "APPEND";
    case 'b': return "BUILD";         case 'c': return "GLOBAL";       case 'd': return "DICT";
    case '}': return "EMPTY_DICT";    case 'e': return "APPENDS";      case 'g': return "GET";
    case 'h': return "BINGET";        case 'i': return "INST";         case 'j': return "LONG_BINGET";
    case 'l': return "LIST";          case ']': return "EMPTY_LIST";   case 'o': return "OBJ";
    case 'p': return "PUT";           case 'q': return "BINPUT";       case 'r': return "LONG_BINPUT";
    case 's': return "SETITEM";       case 't': return "TUPLE";        case ')': return "EMPTY_TUPLE";
    case 'u': return "SETITEMS";      case 'G': return "BINFLOAT";     case 'B': return "BINBYTES";
    case 'C': return "SHORT_BINBYTES";
    case 0x80: return "PROTO";        case 0x81: return "NEWOBJ";      case 0x82: return "EXT1";
    case 0x83: return "EXT2";         case 0x84: return "EXT4";        case 0x85: return "TUPLE1";
    case 0x86: return "TUPLE2";       case 0x87: return "TUPLE3";      case 0x88: return "NEWTRUE";
    case 0x89: return "NEWFALSE";     case 0x8a: return "LONG1";       case 0x8b: return "LONG4";
    case 0x8c: return "SHORT_BINUNICODE"; case 0x8d: return "BINUNICODE8"; case 0x8e: return "BINBYTES8";
    case 0x8f: return "EMPTY_SET";    case 0x90: return "ADDITEMS";    case 0x91: return "FROZENSET";
    case 0x92: return "NEWOBJ_EX";    case 0x93: return "STACK_GLOBAL"; case 0x94: return "MEMOIZE";
    case 0x95: return "FRAME";        case 0x96: return "BYTEARRAY8";  case 0x97: return "NEXT_BUFFER";
    case 0x98: return "READONLY_BUFFER";
    default: return "an unknown opcode";
  }
}

bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int extra = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
    if (extra < 0 || s.size() - i <= static_cast<std::size_t>(extra)) return false;
    std::uint32_t cp = extra == 0 ? c : c & (0x3F >> extra);
    for (int k = 1; k <= extra; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d >> 6) != 2) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    static const std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF) return false;
    i += extra + 1;
  }
  return true;
}

[[noreturn]] void refuse(std::string reason) { throw Refusal{std::move(reason)}; }

Ref make(Type type) {
  auto o = std::make_shared<Obj>();
  o->type = type;
  return o;
}
Ref make_int(std::int64_t v, bool huge) {
  Ref o = make(Type::integer);
  o->integer = v;
  o->huge = huge;
  return o;
}

}  // namespace ember::test::weights_only
