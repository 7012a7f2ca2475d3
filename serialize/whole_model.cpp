// Whole models: a pickled torch.nn module tree <-> an ember module tree, through the class
// table in torch_modules.cpp; the tensors go through the state_dict both ways.
#include "ember/serialize/whole_model.h"

#include "ember/nn/module_list.h"
#include "ember/nn/sequential.h"
#include "ember/serialize/model_file.h"
#include "ember/serialize/serialize.h"
#include "ember/serialize/torch_modules.h"

namespace ember::nn {

namespace {

using serialize::PickledModule;
using serialize::TorchModuleClass;

// ---- load --------------------------------------------------------------------------------------

std::shared_ptr<Module> build(const PickledModule& pickled) {
  const TorchModuleClass* row = serialize::find_torch_module_class(pickled.class_name());
  if (row == nullptr) {
    pickled.fail("a class nn::load_model cannot rebuild; it rebuilds torch.nn's " +
                 serialize::torch_module_class_names() +
                 ". Build the model in C++ and read its weights with ember::load_state_dict(path)");
  }
  std::shared_ptr<Module> module = row->build(pickled);
  for (const auto& [name, child] : pickled.children()) {
    if (auto* sequential = dynamic_cast<Sequential*>(module.get())) {
      sequential->push_back(name, build(child));
    } else if (auto* list = dynamic_cast<ModuleList*>(module.get())) {
      if (name != std::to_string(list->size()))
        pickled.fail("child '" + name + "': a ModuleList's children are named 0, 1, ...");
      list->push_back(build(child));
    } else {
      pickled.fail("child '" + name + "': a torch.nn " + module->type_name() +
                   " has no submodules");
    }
  }
  return module;
}

// train() sets a whole subtree, so setting each module in pre-order leaves every module with
// its own flag from the file.
void set_training(Module& module, const PickledModule& pickled) {
  module.train(pickled.training());
  const auto children = pickled.children();
  const auto modules = module.named_children();
  for (std::size_t i = 0; i < children.size(); ++i) set_training(*modules[i].second, children[i].second);
}

// ---- save --------------------------------------------------------------------------------------

Value parameter(const Tensor& t) {
  // torch._utils._rebuild_parameter(data, requires_grad, backward_hooks), as Parameter's
  // __reduce_ex__ writes it; the data itself does not require grad.
  return Value::object("torch._utils._rebuild_parameter", Value::ObjectOrigin::reduce,
                       Value::tuple({Value(t.detach()), Value(t.requires_grad()), Value::ordered_dict()}),
                       Value());
}

// The module's own tensor called name, if it registered one.
const Tensor* own(const std::vector<std::pair<std::string, Tensor>>& tensors, const std::string& name) {
  for (const auto& [key, t] : tensors)
    if (key == name) return &t;
  return nullptr;
}

Value to_object(const Module& module, const std::string& path) {
  const TorchModuleClass* row = serialize::find_torch_module_class(module);
  if (row == nullptr) {
    throw Error("nn::save_model: " + (path.empty() ? std::string("the model") : "module '" + path + "'") +
                " is a " + module.type_name() +
                ", a C++ class that PyTorch has no class for, so it cannot be saved as a whole model "
                "(save_model writes torch.nn's " + serialize::torch_module_class_names() +
                "); save its weights instead: ember::save(model.state_dict(), path), and "
                "model.load_state_dict(torch.load(path)) in Python");
  }
  const auto own_parameters = module.named_parameters(false);
  const auto own_buffers = module.named_buffers(false);
  Value parameters = Value::ordered_dict(), buffers = Value::ordered_dict();
  for (const char* name : row->parameters) {
    const Tensor* t = own(own_parameters, name);
    parameters.set(name, t != nullptr ? parameter(*t) : Value());
  }
  for (const char* name : row->buffers) {
    const Tensor* t = own(own_buffers, name);
    buffers.set(name, t != nullptr ? Value(t->detach()) : Value());
  }
  Value modules = Value::ordered_dict();
  for (const auto& [name, child] : module.named_children())
    modules.set(name, to_object(*child, path.empty() ? name : path + "." + name));

  // torch.nn.Module.__init__'s attributes in 1.13's order. Later versions' __setstate__ adds
  // the hook dicts a file lacks, but never training, _parameters, _buffers or _modules.
  Value dict = Value::dict();
  dict.set("training", module.is_training());
  dict.set("_parameters", parameters);
  dict.set("_buffers", buffers);
  dict.set("_non_persistent_buffers_set",
           Value::object("builtins.set", Value::ObjectOrigin::reduce, Value::tuple({Value::list()}), Value()));
  dict.set("_backward_hooks", Value::ordered_dict());
  dict.set("_is_full_backward_hook", Value());
  for (const char* hooks : {"_forward_hooks", "_forward_pre_hooks", "_state_dict_hooks",
                            "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks"})
    dict.set(hooks, Value::ordered_dict());
  dict.set("_modules", modules);
  row->write_attributes(module, dict);
  return Value::object(row->python_name, Value::ObjectOrigin::newobj, Value::tuple(), dict);
}

}  // namespace

std::shared_ptr<Module> load_model(const std::string& path) {
  const Value root = ember::load(path, LoadOptions().weights_only(false));
  try {
    if (!serialize::is_pickled_module(root)) {
      throw Error(std::string("expected a whole model (torch.save(model)), found a ") + root.kind_name() +
                  (root.is_object() ? " of class " + root.class_name() : std::string()) +
                  "; a state_dict goes into a model built in C++: model.load_state_dict(ember::load(path))");
    }
    const PickledModule pickled(root, "");
    std::shared_ptr<Module> model = build(pickled);
    model->load_state_dict(serialize::pickled_module_state_dict(root));
    set_training(*model, pickled);
    return model;
  } catch (const SerializeError&) {
    throw;
  } catch (const Error& e) {
    throw SerializeError("load_model", path, "", e.what());
  }
}

void save_model(const Module& module, const std::string& path, const serialize::SaveOptions& options) {
  ember::save(to_object(module, ""), path, options);
}

}  // namespace ember::nn
