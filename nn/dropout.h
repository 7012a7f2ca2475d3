// Dropout: randomly zeroes elements during training (torch.nn.Dropout).
#pragma once

#include <string>

#include "ember/core/arg.h"
#include "ember/nn/module.h"
#include "ember/tensor/generator.h"

namespace ember::nn {

// Dropout's argument: Dropout(DropoutOptions(0.2)), or Dropout(0.2).
struct DropoutOptions {
  DropoutOptions(double p = 0.5) : p_(p) {}  // NOLINT: implicit, as PyTorch's

  EMBER_ARG(double, p);
};

// In training mode, zeroes each element with probability p and scales the others by
// 1 / (1 - p), so the expected value is unchanged; in eval mode it is the identity. The mask is
// drawn from generator, or from default_generator() when it is null, so a seeded run drops
// the same elements every time (the stream differs from PyTorch's). p outside [0, 1] fails in
// the constructor. Prints "Dropout(p=0.5, inplace=False)".
// https://pytorch.org/docs/stable/generated/torch.nn.Dropout.html
class Dropout : public Module {
 public:
  explicit Dropout(const DropoutOptions& options = {}, Generator* generator = nullptr);

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Dropout"; }
  std::string extra_repr() const override;

  DropoutOptions options;
  Generator* generator;  // not owned
};

}  // namespace ember::nn
