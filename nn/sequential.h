// Sequential: a chain of modules applied in order (torch.nn.Sequential).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "ember/nn/module.h"

namespace ember::nn {

// Children are registered as "0", "1", ..., so the state_dict keys are "0.weight", "1.bias",
// ... as in PyTorch. forward passes the input through each child in turn.
//
//   auto net = std::make_shared<Sequential>(std::make_shared<Linear>(4, 8),
//                                           std::make_shared<ReLU>(),
//                                           std::make_shared<Linear>(8, 2));
// https://pytorch.org/docs/stable/generated/torch.nn.Sequential.html
class Sequential : public Module {
 public:
  Sequential() = default;
  explicit Sequential(const std::vector<std::shared_ptr<Module>>& modules);
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules)
      : Sequential(std::vector<std::shared_ptr<Module>>(modules)) {}
  template <class First, class... Rest>
  explicit Sequential(std::shared_ptr<First> first, std::shared_ptr<Rest>... rest) {
    push_back(std::move(first));
    (push_back(std::move(rest)), ...);
  }

  // Registers module under the next index.
  void push_back(std::shared_ptr<Module> module);
  // Registers module under name, as Python's Sequential(OrderedDict([("conv1", ...), ...]))
  // names its children.
  void push_back(const std::string& name, std::shared_ptr<Module> module);
  std::size_t size() const { return named_children().size(); }
  // The child at index; negative indices count from the end, as in Python.
  std::shared_ptr<Module> operator[](std::int64_t index) const;
  // The child at index as an M (Error if it is not one): seq.at<Linear>(0)->weight.
  template <class M>
  std::shared_ptr<M> at(std::int64_t index) const {
    auto cast = std::dynamic_pointer_cast<M>((*this)[index]);
    check(cast != nullptr, "Sequential: module ", index, " is a ", (*this)[index]->type_name(),
          ", not the type asked for");
    return cast;
  }

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Sequential"; }
};

}  // namespace ember::nn
