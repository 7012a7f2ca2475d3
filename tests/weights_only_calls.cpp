// REDUCE's calls of the allowed globals, modelled by the type of what each returns; and
// _rebuild_tensor_v2's checks of a tensor's view against its storage.
#include "tests/weights_only_calls.h"

namespace ember::test::weights_only {

namespace {

// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks
// [, metadata (2.x)]): torch.empty((0,), dtype).set_(storage, offset, size, stride), which
// refuses a view that reaches past its storage; then requires_grad is set, which integer
// tensors refuse.
Ref rebuild_tensor_v2(const std::vector<Ref>& args, bool v26) {
  const std::size_t most = v26 ? 7 : 6;
  if (args.size() < 6 || args.size() > most) {
    refuse("_rebuild_tensor_v2 called with " + std::to_string(args.size()) + " arguments, not 6" +
           (v26 ? " or 7" : ""));
  }
  const Obj& storage = *args[0];
  if (storage.type != Type::storage) refuse(std::string("_rebuild_tensor_v2 of ") + type_name(storage) + ", not a storage");
  auto count = [](const Obj& o, const char* what) {
    if (o.type != Type::integer || o.huge || o.integer < 0 || o.integer > (std::int64_t{1} << 48)) {
      refuse(std::string("_rebuild_tensor_v2: the ") + what + " is not a non-negative int");
    }
    return static_cast<std::uint64_t>(o.integer);
  };
  const std::uint64_t offset = count(*args[1], "storage offset");
  const Obj& size = *args[2];
  const Obj& stride = *args[3];
  if (size.type != Type::tuple || stride.type != Type::tuple || size.items.size() != stride.items.size()) {
    refuse("_rebuild_tensor_v2: size and stride are not tuples of one length");
  }
  bool empty = false;
  std::uint64_t last = offset;  // the last element the view reaches
  for (std::size_t d = 0; d < size.items.size(); ++d) {
    const std::uint64_t n = count(*size.items[d], "size"), s = count(*stride.items[d], "stride");
    std::uint64_t reach = 0;
    if (n == 0) empty = true;
    else if (__builtin_mul_overflow(n - 1, s, &reach) || __builtin_add_overflow(last, reach, &last)) {
      refuse("_rebuild_tensor_v2: the view's extent overflows");
    }
  }
  if (!empty && last >= storage.numel) {
    refuse("_rebuild_tensor_v2: the view reaches element " + std::to_string(last) + " of a storage of " +
           std::to_string(storage.numel) + " (set_ refuses it)");
  }
  if (args[4]->type != Type::boolean) refuse("_rebuild_tensor_v2: requires_grad is not a bool");
  if (args[4]->integer && !storage.floating) {
    refuse("_rebuild_tensor_v2: requires_grad=True on a " + storage.text + " tensor (only floating point tensors take it)");
  }
  if (args.size() == 7 && !is_dict(*args[6])) refuse("_rebuild_tensor_v2: metadata is not a dict");
  return make(Type::tensor);
}

}  // namespace

Ref call(const Obj& func, const std::vector<Ref>& args, TorchRules rules) {
  const bool v26 = rules == TorchRules::pytorch_2_6;
  auto arity = [&](std::size_t lo, std::size_t hi) {
    if (args.size() < lo || args.size() > hi) {
      refuse(func.text + " called with " + std::to_string(args.size()) + " arguments");
    }
  };
  auto object = [&](const char* cls) {
    Ref o = make(Type::object);
    o->text = cls;
    return o;
  };
  switch (func.global.kind) {
    case GlobalKind::ordered_dict: arity(0, 1); return make(Type::ordered_dict);
    case GlobalKind::counter: arity(0, 1); return make(Type::counter);
    case GlobalKind::set: arity(0, 1); return make(Type::set);
    case GlobalKind::bytearray: arity(0, 3); return make(Type::bytes);
    case GlobalKind::codecs_encode:
      arity(1, 2);
      if (args[0]->type != Type::string) refuse("_codecs.encode of " + std::string(type_name(*args[0])) + ", not a str");
      return make(Type::bytes);
    case GlobalKind::parameter: arity(0, 2); return make(Type::parameter);
    case GlobalKind::size: {
      arity(0, 1);
      Ref t = make(Type::tuple);
      if (!args.empty()) t->items = args[0]->items;
      return t;
    }
    case GlobalKind::tensor_class: return make(Type::tensor);
    case GlobalKind::device: arity(1, 2); return object("torch.device");
    case GlobalKind::layout: arity(1, 1); return object("torch.layout");
    case GlobalKind::untyped_storage:
    case GlobalKind::typed_storage: return object(func.text.c_str());
    case GlobalKind::storage_class:
      if (v26) refuse(func.text + " is not callable (2.6 resolves it to a StorageType)");
      return object(func.text.c_str());
    case GlobalKind::dtype:
    case GlobalKind::qscheme: refuse(func.text + " is not callable");
    case GlobalKind::rebuild_tensor_v2: return rebuild_tensor_v2(args, v26);
    case GlobalKind::rebuild_parameter:
      arity(3, 3);
      if (args[0]->type != Type::tensor) refuse("_rebuild_parameter of " + std::string(type_name(*args[0])));
      return make(Type::parameter);
    case GlobalKind::rebuild_other: return make(Type::tensor);
    case GlobalKind::safe_class: {  // add_safe_globals: PyTorch calls it as given
      Ref o = make(Type::object);
      o->text = func.text;
      return o;
    }
    case GlobalKind::refused: break;
  }
  refuse(func.text + " is not an allowed global");
}

}  // namespace ember::test::weights_only
