// nn::load_model and nn::save_model: whole models as torch.save(model) writes them, the
// tutorial's "Save/Load Entire Model", in both directions.
//
//   auto model = ember::nn::load_model("entire_model.pt");   // torch.save(model, path)
//   model->eval();
//   Tensor out = model->forward(input);
//   ember::nn::save_model(*model, "from_ember.pt");  // Python: torch.load(PATH, weights_only=False)
//
// PyTorch: torch.save(model, PATH); model = torch.load(PATH, weights_only=False)
// https://pytorch.org/tutorials/beginner/saving_loading_models.html#save-load-entire-model
#pragma once

#include <memory>
#include <string>

#include "ember/nn/module.h"
#include "ember/serialize/pt_format.h"

namespace ember::nn {

// A working ember module tree, rebuilt from a torch.save(model) file whose modules are
// torch.nn's own classes, nested at any depth: Sequential, ModuleList, Conv2d, Linear,
// BatchNorm2d, LayerNorm, GroupNorm, Embedding, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d,
// Dropout, Dropout2d, Flatten, Identity, ReLU, LeakyReLU, GELU, SiLU, Tanh, Sigmoid, Softmax,
// LogSoftmax (serialize/torch_modules.cpp has the table). Each layer is built from the attributes pickled in its __dict__
// (in_channels, kernel_size, stride, eps, momentum, ...), then takes the file's tensors and
// training flags. The file is read as inert data (nothing is imported or run), so the classes
// are recognised by name only. Throws SerializeError naming the module and its class for a
// class ember cannot rebuild (a user's own __main__.Net among them: build it in C++ and read
// its weights with ember::load_state_dict(path)) or an attribute it does not support.
std::shared_ptr<Module> load_model(const std::string& path);

// Writes module as torch.save(model) would, so that Python's torch.load(path,
// weights_only=False) gives a working torch.nn module with the same outputs. PyTorch 2.6+
// loads it with weights_only=True too once the classes it uses are allowed:
//   torch.serialization.add_safe_globals([torch.nn.Sequential, torch.nn.Conv2d, ...])
// Every module in the tree must be one of load_model's classes; a model of a user's own C++
// class has no Python class to become, so the Error says to save its state_dict instead.
// Atomic, as ember::save.
void save_model(const Module& module, const std::string& path,
                const serialize::SaveOptions& options = serialize::SaveOptions());

}  // namespace ember::nn
