// ember's torch.save / torch.load: checkpoints PyTorch itself opens, written crash-safely and
// read without trusting a byte.
//
//   ember::save({{"epoch", epoch},
//                {"model_state_dict", model.state_dict()},
//                {"optimizer_state_dict", optimizer.state_dict()},
//                {"loss", loss}}, "ckpt.pt");
//   model.load_state_dict(ember::load("ckpt.pt").at("model_state_dict"));
//
// PyTorch: torch.save(obj, path) / torch.load(path, weights_only=True)
// https://pytorch.org/docs/stable/generated/torch.save.html
#pragma once

#include <map>
#include <string>

#include "ember/core/arg.h"
#include "ember/serialize/pt_format.h"
#include "ember/serialize/serialize_error.h"
#include "ember/core/value.h"

namespace ember {

using serialize::SaveOptions;

// Writes value in PyTorch's format (what torch.save writes since 1.6). Python's torch.load
// reads it back, with weights_only=True too where the PyTorch version can (1.13's safe loader
// has no Python floats, so it takes state_dicts but not checkpoints); dicts flagged ordered_dict() become
// collections.OrderedDict, with their `_metadata` if set. The write is atomic: until it
// returns, path holds its old content (or nothing); a kill or crash never leaves it damaged.
void save(const Value& value, const std::string& path, const SaveOptions& options = SaveOptions());

// torch.load's keyword arguments that ember has.
//   ember::load("model.pt", LoadOptions().weights_only(false));
class LoadOptions {
  // true, PyTorch 2.6's default: only tensors, containers and numbers; a file naming any other
  // Python class is refused, with a message saying what the thing is (a whole model, a numpy
  // array, an argparse.Namespace, a quantized tensor) and what to do instead.
  // false: any other class or function is read as an inert Value::Kind::object (its class
  // name, args and state), never imported or run, unlike PyTorch's weights_only=False, which
  // runs whatever the file names. Quantized and sparse tensors are refused either way.
  EMBER_ARG(bool, weights_only) = true;
};

// Reads a torch.save file (.pt, .pth, .tar: the format, not the name, decides), in the zip
// format or the legacy one of PyTorch before 1.6, or a safetensors file. Never runs code from
// the file. Throws SerializeError naming the file, the
// entry and the reason for anything damaged, hostile or unsupported.
Value load(const std::string& path, const LoadOptions& options = LoadOptions());

// safetensors (https://github.com/huggingface/safetensors): a dict of str -> Tensor plus
// string metadata.
void save_safetensors(const Value& tensors, const std::string& path,
                      const std::map<std::string, std::string>& metadata = {},
                      const SaveOptions& options = SaveOptions());
Value load_safetensors(const std::string& path, std::map<std::string, std::string>* metadata = nullptr);

}  // namespace ember
