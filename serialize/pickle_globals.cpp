// One table of the globals that files name and ember refuses, with what each one is. The
// allow-list follows torch/_weights_only_unpickler.py; the names, torch/_utils.py,
// torch/_tensor.py (__reduce_ex__) and numpy's pickling.
#include "ember/serialize/pickle_globals.h"

#include "ember/serialize/torch_names.h"

namespace ember::serialize {

namespace {

constexpr const char* kQuantized =
    "ember has no quantized dtypes; in PyTorch, save t.dequantize(), or t.int_repr() with "
    "t.q_scale() and t.q_zero_point()";
constexpr const char* kSparse = "ember has only dense tensors; in PyTorch, save t.to_dense()";
constexpr const char* kInert =
    "ember never imports or runs code from a file; load with LoadOptions().weights_only(false) "
    "to read it as inert structure";
constexpr const char* kNumpyArray =
    "ember reads no numpy objects; in PyTorch, save torch.from_numpy(a) instead, or load with "
    "LoadOptions().weights_only(false) to read it as inert structure";
constexpr const char* kNumpyScalar =
    "ember reads no numpy objects; in PyTorch, save x.item() (a Python number) instead, or load "
    "with LoadOptions().weights_only(false) to read it as inert structure";
constexpr const char* kWholeModel =
    "read its weights with ember::load_state_dict(path) or `ember convert IN OUT --state-dict`, "
    "or load with LoadOptions().weights_only(false)";
// torch.nn's own classes can also be rebuilt as a working model.
constexpr const char* kTorchNnModel =
    "rebuild it as a model with nn::load_model(path), read its weights with "
    "ember::load_state_dict(path) or `ember convert IN OUT --state-dict`, or load with "
    "LoadOptions().weights_only(false)";
constexpr const char* kCode =
    "ember never runs code from a file, and a file that calls this may be hostile; "
    "LoadOptions().weights_only(false) shows it as inert structure";

// A refused global. `name` is a full name, or a prefix that ends in '.' (a package or module);
// `what` completes "the file holds ...", and "{}" in it stands for the global's name; the
// message adds the global's name in parentheses.
struct Refused {
  const char* name;
  const char* what;
  const char* advice;
  bool always;  // also with weights_only=false: ember has no type that could hold it
};

// Exact names first: the first entry that matches decides.
constexpr Refused kRefused[] = {
    {"torch._utils._rebuild_qtensor", "a quantized tensor (torch.qint8, torch.quint8 or torch.qint32)",
     kQuantized, true},
    {"torch.QInt8Storage", "a quantized tensor's storage (torch.qint8)", kQuantized, true},
    {"torch.QUInt8Storage", "a quantized tensor's storage (torch.quint8)", kQuantized, true},
    {"torch.QInt32Storage", "a quantized tensor's storage (torch.qint32)", kQuantized, true},
    {"torch.QUInt4x2Storage", "a quantized tensor's storage (torch.quint4x2)", kQuantized, true},
    {"torch.QUInt2x4Storage", "a quantized tensor's storage (torch.quint2x4)", kQuantized, true},
    {"torch.per_tensor_affine", "a quantized tensor's scheme (torch.per_tensor_affine)", kQuantized, true},
    {"torch.per_channel_affine", "a quantized tensor's scheme (torch.per_channel_affine)", kQuantized, true},
    {"torch.per_channel_affine_float_qparams",
     "a quantized tensor's scheme (torch.per_channel_affine_float_qparams)", kQuantized, true},
    {"torch.qint8", "the quantized dtype torch.qint8", kQuantized, true},
    {"torch.quint8", "the quantized dtype torch.quint8", kQuantized, true},
    {"torch.qint32", "the quantized dtype torch.qint32", kQuantized, true},
    {"torch._utils._rebuild_sparse_tensor", "a sparse tensor (torch.sparse_coo)", kSparse, true},
    {"torch._utils._rebuild_sparse_csr_tensor", "a sparse tensor (torch.sparse_csr)", kSparse, true},
    {"numpy.core.multiarray._reconstruct", "a numpy array (numpy.ndarray)", kNumpyArray, false},
    {"numpy._core.multiarray._reconstruct", "a numpy array (numpy.ndarray)", kNumpyArray, false},
    {"numpy.ndarray", "a numpy array (numpy.ndarray)", kNumpyArray, false},
    {"numpy.core.multiarray.scalar", "a numpy scalar (such as numpy.float64(0.5))", kNumpyScalar, false},
    {"numpy._core.multiarray.scalar", "a numpy scalar (such as numpy.float64(0.5))", kNumpyScalar, false},
    {"numpy.dtype", "a numpy dtype", kNumpyArray, false},
    {"argparse.Namespace",
     "an object of class argparse.Namespace from the argparse package (parsed command-line arguments)",
     "in PyTorch, save vars(args), a dict, instead; or load with LoadOptions().weights_only(false) "
     "to read it as inert structure",
     false},
    {"builtins.set", "a Python set", kInert, false},
    {"builtins.frozenset", "a Python frozenset", kInert, false},
    {"_codecs.encode", "a bytes object", kInert, false},
    {"torch.device", "a torch.device", kInert, false},
    {"torch.Size", "a torch.Size", kInert, false},
    {"os.system", "a call of os.system, which runs a shell command", kCode, false},
    {"posix.system", "a call of posix.system, which runs a shell command", kCode, false},
    {"nt.system", "a call of nt.system, which runs a shell command", kCode, false},
    {"builtins.eval", "a call of builtins.eval, which runs Python code", kCode, false},
    {"builtins.exec", "a call of builtins.exec, which runs Python code", kCode, false},
    {"builtins.compile", "a call of builtins.compile, which compiles Python code", kCode, false},
    {"builtins.__import__", "a call of builtins.__import__, which imports a module", kCode, false},
    {"builtins.getattr", "a call of builtins.getattr, which reaches any attribute", kCode, false},
    {"subprocess.", "a call of {}, which runs a command", kCode, false},
    {"numpy.", "a numpy object ({})", kNumpyArray, false},
    {"__main__.", "a whole model (torch.save(model)) of class {}", kWholeModel, false},
    {"torch.nn.modules.", "a whole model (torch.save(model)) of class {}", kTorchNnModel, false},
    {"torchvision.models.", "a whole model (torch.save(model)) of class {}", kWholeModel, false},
    {"torch.optim.", "an optimizer or scheduler object of class {} (torch.save(optimizer))",
     "in PyTorch, save optimizer.state_dict() instead; or load with LoadOptions().weights_only(false) "
     "to read it as inert structure",
     false},
};

bool matches(const std::string& name, const char* entry) {
  const std::string e(entry);
  if (!e.empty() && e.back() == '.') return name.compare(0, e.size(), e) == 0;
  return name == e;
}

// "<what> (global 'name')", or with the name inside what's own closing parenthesis:
// "a numpy array (numpy.ndarray; global 'numpy.core.multiarray._reconstruct')".
std::string describe(const char* what, const std::string& name) {
  std::string s(what);
  const auto at = s.find("{}");
  if (at != std::string::npos) s.replace(at, 2, name);
  if (!s.empty() && s.back() == ')') return s.substr(0, s.size() - 1) + "; global '" + name + "')";
  return s + " (global '" + name + "')";
}

}  // namespace

std::string python3_global_name(const std::string& module, const std::string& name) {
  // Lib/_compat_pickle.py IMPORT_MAPPING, the entries torch.save's files use.
  if (module == "__builtin__") return "builtins." + name;
  if (module == "copy_reg") return "copyreg." + name;
  return module + "." + name;
}

bool is_known_global(const std::string& name) {
  static const char* const kKnown[] = {
      "collections.OrderedDict",          "collections.Counter",
      "torch._utils._rebuild_tensor",     "torch._utils._rebuild_tensor_v2",
      "torch._utils._rebuild_parameter",  "torch._utils._rebuild_parameter_with_state",
      "torch.nn.parameter.Parameter"};
  for (const char* known : kKnown) {
    if (name == known) return true;
  }
  Dtype dtype;
  return name.rfind("torch.", 0) == 0 && dtype_from_storage_class(name.substr(6), &dtype);
}

std::string global_refusal(const std::string& name, bool weights_only) {
  if (is_known_global(name)) return "";
  for (const Refused& r : kRefused) {
    if (!matches(name, r.name)) continue;
    if (!weights_only && !r.always) return "";
    return "the file holds " + describe(r.what, name) + "; " + r.advice;
  }
  if (!weights_only) return "";
  const std::string package = name.substr(0, name.find('.'));
  return "the file holds " + describe(("an object of class {} from the " + package + " package").c_str(), name) +
         "; " + kInert;
}

}  // namespace ember::serialize
