// ModuleList: modules held in a list, registered so their parameters are found (torch.nn.ModuleList).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "ember/nn/module.h"

namespace ember::nn {

// Like Sequential, children are named "0", "1", ...; unlike it, there is no forward: the owning
// model decides how to call them (for (auto& layer : layers->children()) x = layer->forward(x)).
// https://pytorch.org/docs/stable/generated/torch.nn.ModuleList.html
class ModuleList : public Module {
 public:
  ModuleList() = default;
  explicit ModuleList(const std::vector<std::shared_ptr<Module>>& modules);
  ModuleList(std::initializer_list<std::shared_ptr<Module>> modules)
      : ModuleList(std::vector<std::shared_ptr<Module>>(modules)) {}

  // Registers module under the next index (Python's append).
  void push_back(std::shared_ptr<Module> module);
  void append(std::shared_ptr<Module> module) { push_back(std::move(module)); }
  void extend(const std::vector<std::shared_ptr<Module>>& modules);
  std::size_t size() const { return named_children().size(); }
  // The child at index; negative indices count from the end, as in Python.
  std::shared_ptr<Module> operator[](std::int64_t index) const;
  template <class M>
  std::shared_ptr<M> at(std::int64_t index) const {
    auto cast = std::dynamic_pointer_cast<M>((*this)[index]);
    check(cast != nullptr, "ModuleList: module ", index, " is a ", (*this)[index]->type_name(),
          ", not the type asked for");
    return cast;
  }

  std::string type_name() const override { return "ModuleList"; }
};

}  // namespace ember::nn
