// ember::load_state_dict: the weights of a model file, whatever way PyTorch saved the model, as
// the model's own state_dict() would hold them.
//
//   nn::StateDict weights = ember::load_state_dict("entire_model.pt");  // torch.save(model)
//   model.load_state_dict(weights);
#pragma once

#include <string>

#include "ember/core/value.h"
#include "ember/nn/state_dict.h"

namespace ember {

// The flat state_dict of the model in a file: the keys with their dotted prefixes in
// PyTorch's order ("features.0.weight"), and the tensors, from
//   - a whole model, torch.save(model), of any class, a user's own __main__.Net too, in the zip
//     or the legacy (before 1.6) format: read as inert structure (load with
//     LoadOptions().weights_only(false)), never the class's code;
//   - a TorchScript archive (torch.jit.save, script or trace): TorchScript's own state_dict(),
//     from data.pkl's module objects and the __parameters__ / __buffers__ of their classes'
//     declarations in code/, never running the code (serialize/torchscript.h);
//   - a file that already holds a state_dict, a dict of str -> tensor (.pt or safetensors).
// Throws SerializeError saying what the file holds instead, and for a checkpoint dict which of
// its entries holds the weights.
//
// PyTorch: model.state_dict() after model = torch.load(path, weights_only=False). A class
// that overrides state_dict() or get_extra_state() changes what PyTorch's holds; ember reads
// no code, so it gives what torch.nn.Module's own state_dict() would.
nn::StateDict load_state_dict(const std::string& path);

namespace serialize {

// True for a torch.nn.Module as ember::load(path, LoadOptions().weights_only(false)) reads
// one: an object whose __dict__ holds _parameters, _buffers and _modules.
bool is_pickled_module(const Value& value);

// A pickled module's state_dict, by torch.nn.Module's rules (state_dict and
// _save_to_state_dict in torch/nn/modules/module.py): per module, its _parameters in order
// skipping None, then its _buffers skipping None and those in _non_persistent_buffers_set,
// then each of its _modules, recursively, under "name.". Tensors are detached, as PyTorch's
// are. Throws Error naming the path of an entry that is not what a Module holds.
nn::StateDict pickled_module_state_dict(const Value& module);

}  // namespace serialize
}  // namespace ember
