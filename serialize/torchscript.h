// TorchScript archives (torch.jit.save, torch.jit.script(m).save, torch.jit.trace(m, x).save)
// read as weights: the module tree of data.pkl and the class declarations of code/, never run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ember/core/value.h"
#include "ember/nn/state_dict.h"
#include "ember/serialize/mapped_file.h"
#include "ember/serialize/zip_reader.h"

namespace ember::serialize {

// Limits on the code/ files read, which are inflated whole before their lines are read.
struct TorchScriptLimits {
  std::uint64_t max_code_file_size = std::uint64_t{64} << 20;  // one file, inflated (64 MiB)
  std::uint64_t max_code_size = std::uint64_t{256} << 20;  // all the files read together (256 MiB)
};

// A class declaration of a code/ file, as TorchScript's printer writes one:
//   class Conv2d(Module):
//     __parameters__ = ["weight", "bias", ]
//     __buffers__ = []
// The two lists say which attributes are parameters and buffers, in the class's attribute
// order; the rest of the class (attribute types, methods) is not read.
struct ScriptClass {
  std::string name;  // qualified: __torch__.torch.nn.modules.conv.Conv2d
  std::string base;  // "Module", "NamedTuple", ...; empty for `class Name:`
  std::vector<std::string> parameters;
  std::vector<std::string> buffers;
  bool is_module() const { return base == "Module"; }
};

// The classes declared in the text of one code/ file; qualifier is the file's module
// ("__torch__.torch.nn.modules.conv" for code/__torch__/torch/nn/modules/conv.py). A strict
// line parser: a class line `class Name(Base):` or `class Name:` at the start of a line, and
// for a Module class the `__parameters__` line right below it, then optionally `__buffers__`
// (an archive without that line declares no buffers), each a list of "name", items exactly as
// TorchScript prints it. Anything else about those lines, a Module class without
// __parameters__, or a class declared twice, throws SerializeError("load", file, entry,
// "line N: expected ..., found ...").
std::vector<ScriptClass> parse_script_classes(const std::string& text, const std::string& qualifier,
                                              const std::string& file, const std::string& entry);

// "torch.nn.modules.conv.Conv2d" for "__torch__.torch.nn.modules.conv.___torch_mangle_3.Conv2d":
// the name without TorchScript's namespace and the mangling that tells apart two classes of
// one name (a user's classes lose the namespace only: "__torch__.Net" is "Net").
std::string script_class_display_name(const std::string& name);

// True for an archive that torch.jit.save wrote: a zip whose top folder has constants.pkl and
// code/. False for anything else, a damaged zip too (ember::load then says what is wrong).
bool is_torchscript_archive(const ZipReader& zip);
bool is_torchscript_archive(const MappedFile& file);

// One module of a TorchScript archive. Python: torch.jit.load(path) and its named_children().
struct ScriptModule {
  std::string class_name;  // as the archive names it: __torch__.___torch_mangle_3.Block
  const Value* object = nullptr;  // its object in data.pkl (attributes by getattr), in the archive's data
  std::vector<std::string> parameters;  // the declared names, tensors and None alike, in order
  std::vector<std::string> buffers;
  std::vector<std::pair<std::string, ScriptModule>> modules;  // the attributes that hold modules
};

// An archive's root module, and the data.pkl its modules' objects live in.
struct ScriptArchive {
  std::shared_ptr<const Value> data;  // data.pkl as ember::load(path, weights_only(false)) reads it
  ScriptModule root;
};

// Reads data.pkl as inert objects (LoadOptions().weights_only(false)), then for each module
// object the declaration of its class from code/ (__torch__.a.b.C in code/__torch__/a/b.py,
// __torch__.C in code/__torch__.py), each file inflated and parsed once. Throws SerializeError
// naming the entry for a missing or damaged code file, a file over the limits, a module object
// that lacks a declared attribute, and for the format of PyTorch < 1.3 (model.json).
ScriptArchive load_torchscript(const std::shared_ptr<MappedFile>& file,
                               const TorchScriptLimits& limits = TorchScriptLimits());

// TorchScript's state_dict() of a module (torch.jit.load(path).state_dict()): per module in
// pre-order, its parameters that hold a tensor, in the declared order, then its buffers the
// same way (all of them: TorchScript has no non-persistent buffers, it keeps those too), then
// each submodule under "name.". Throws Error for a declared name that holds neither a tensor
// nor None.
nn::StateDict script_module_state_dict(const ScriptModule& module);

}  // namespace ember::serialize
