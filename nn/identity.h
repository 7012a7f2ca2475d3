// Identity: a placeholder layer that returns its input (torch.nn.Identity).
#pragma once

#include <string>

#include "ember/nn/module.h"

namespace ember::nn {

// forward(x) is x itself, the same tensor (no copy), as in PyTorch. Prints "Identity()".
// Useful where a model's structure wants a layer, as a ResNet shortcut that changes nothing.
// https://pytorch.org/docs/stable/generated/torch.nn.Identity.html
class Identity : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Identity"; }
};

}  // namespace ember::nn
