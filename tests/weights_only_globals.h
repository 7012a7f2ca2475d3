// The globals PyTorch's weights_only unpickler resolves, by version, and what each one is.
#pragma once

#include <cstdint>
#include <string>

#include "tests/weights_only_checker.h"

namespace ember::test {

// What a GLOBAL stands for, as far as the unpickler's REDUCE, NEWOBJ and BUILD rules care.
enum class GlobalKind {
  refused,
  safe_class,         // a class given to torch.serialization.add_safe_globals (2.6)
  ordered_dict,       // collections.OrderedDict
  counter,            // collections.Counter (2.6)
  set,                // builtins.set (2.6)
  bytearray,          // builtins.bytearray (2.6)
  codecs_encode,      // _codecs.encode, how protocol 2 pickles bytes (2.6)
  parameter,          // torch.nn.parameter.Parameter
  size,               // torch.Size
  tensor_class,       // torch.Tensor, torch.FloatTensor, torch.cuda.FloatTensor, ...
  device,             // torch.device (2.6)
  layout,             // torch.serialization._get_layout
  dtype,              // torch.float32, ... (values, not callable)
  qscheme,            // torch.per_tensor_affine, ... (2.6; values, not callable)
  storage_class,      // torch.FloatStorage, torch.cuda.FloatStorage, ... (legacy storage types)
  untyped_storage,    // torch.storage.UntypedStorage
  typed_storage,      // torch.storage.TypedStorage
  rebuild_tensor_v2,  // torch._utils._rebuild_tensor_v2, what torch.save writes for a tensor
  rebuild_parameter,  // torch._utils._rebuild_parameter
  rebuild_other,      // the other torch._utils._rebuild_* and torch._tensor._rebuild_from_type_v2
};

struct GlobalInfo {
  GlobalKind kind = GlobalKind::refused;
  std::uint64_t element_size = 0;  // storage classes: bytes per element (UntypedStorage: 1)
  bool floating = false;           // storage classes: of a floating-point or complex dtype
  std::string refusal;             // refused: why, as PyTorch would put it
};

// module and name as the GLOBAL opcode spells them (Python 2's __builtin__ is read as
// builtins, as the unpickler's NAME_MAPPING does). Where the exact list of a version is in
// doubt the name is refused: a stricter model keeps the guarantee safe.
GlobalInfo classify_global(const std::string& module, const std::string& name, TorchRules rules);

}  // namespace ember::test
