// The globals a pickle may name (GLOBAL / STACK_GLOBAL): which ones ember's pickle machine
// gives a meaning, and, for the rest, what the thing is, in the words of a refusal.
#pragma once

#include <string>

namespace ember::serialize {

// "module.name" as Python 3's unpickler resolves it: protocol 2 pickles made by Python 3 still
// write Python 2's module names (__builtin__.set, copy_reg._reconstructor).
std::string python3_global_name(const std::string& module, const std::string& name);

// The globals the machine understands: collections.OrderedDict and Counter, the
// torch._utils tensor and Parameter rebuild functions, torch.nn.parameter.Parameter and the
// torch.<Type>Storage classes of ember's dtypes. With weights_only=true these are the only
// globals a file may name (PyTorch's weights_only allow-list, less what ember has no type for).
bool is_known_global(const std::string& name);

// Why a file that names the global `name` cannot be loaded: "" when it can, else the reason,
// saying what the thing is and what to do instead:
//   the file holds a whole model (torch.save(model)) of class __main__.Net (global
//   '__main__.Net'); read its weights with ember::load_state_dict(path) or ...
// With weights_only=true every global that is not known is refused: quantized tensors, numpy
// arrays and scalars, whole models (__main__.*, torch.nn.modules.*), other libraries' classes
// named by their package. With weights_only=false only what ember cannot represent at all
// (quantized and sparse tensors) is; the rest is read as inert objects.
std::string global_refusal(const std::string& name, bool weights_only);

}  // namespace ember::serialize
