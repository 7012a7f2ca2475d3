// Dropout and Dropout2d: randomly zero elements, or whole channels, during training
// (torch.nn.Dropout, torch.nn.Dropout2d).
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

// Dropout2d's argument is Dropout's: Dropout2d(0.2).
using Dropout2dOptions = DropoutOptions;

// Dropout of whole channels: in training mode each (n, c) slice of an (N, C, *) input is zeroed
// with probability p and the others scaled by 1 / (1 - p); in eval mode the identity. A 3-D input
// is read as (N, C, L), as PyTorch 1.13 reads it. The generator is Dropout's. Prints
// "Dropout2d(p=0.5, inplace=False)".
// https://pytorch.org/docs/stable/generated/torch.nn.Dropout2d.html
class Dropout2d : public Module {
 public:
  explicit Dropout2d(const Dropout2dOptions& options = {}, Generator* generator = nullptr);

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Dropout2d"; }
  std::string extra_repr() const override;

  Dropout2dOptions options;
  Generator* generator;  // not owned
};

}  // namespace ember::nn
