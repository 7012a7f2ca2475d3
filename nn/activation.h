// Activation modules: ReLU, LeakyReLU, GELU, SiLU, Tanh, Sigmoid, Softmax, LogSoftmax (torch.nn's,
// printed alike).
#pragma once

#include <cstdint>
#include <string>

#include "ember/core/arg.h"
#include "ember/nn/module.h"

namespace ember::nn {

// max(x, 0). Prints "ReLU()". https://pytorch.org/docs/stable/generated/torch.nn.ReLU.html
class ReLU : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "ReLU"; }
};

// LeakyReLU's argument: LeakyReLU(LeakyReLUOptions().negative_slope(0.2)).
struct LeakyReLUOptions {
  EMBER_ARG(double, negative_slope) = 0.01;
};

// x where x >= 0, negative_slope x elsewhere. Prints "LeakyReLU(negative_slope=0.01)".
// https://pytorch.org/docs/stable/generated/torch.nn.LeakyReLU.html
class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(const LeakyReLUOptions& opts = {}) : options(opts) {}
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "LeakyReLU"; }
  std::string extra_repr() const override;
  LeakyReLUOptions options;
};

// GELU's argument: "none" (the exact form with erf) or "tanh" (the tanh approximation).
struct GELUOptions {
  EMBER_ARG(std::string, approximate) = "none";
};

// x Phi(x), Phi the standard normal CDF; any approximate other than "none" or "tanh" fails in
// the constructor. Prints "GELU(approximate='none')".
// https://pytorch.org/docs/stable/generated/torch.nn.GELU.html
class GELU : public Module {
 public:
  explicit GELU(const GELUOptions& opts = {});
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "GELU"; }
  std::string extra_repr() const override { return "approximate='" + options.approximate() + "'"; }
  GELUOptions options;
};

// x sigmoid(x), also called swish. Prints "SiLU()".
// https://pytorch.org/docs/stable/generated/torch.nn.SiLU.html
class SiLU : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "SiLU"; }
};

// tanh(x). Prints "Tanh()".
class Tanh : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Tanh"; }
};

// 1 / (1 + e^-x). Prints "Sigmoid()".
class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Sigmoid"; }
};

// The dim that Softmax and LogSoftmax normalise along: Softmax(SoftmaxOptions(1)), or
// Softmax(1).
struct SoftmaxOptions {
  SoftmaxOptions(std::int64_t dim) : dim_(dim) {}  // NOLINT: implicit, as PyTorch's

  EMBER_ARG(std::int64_t, dim);
};
using LogSoftmaxOptions = SoftmaxOptions;

// softmax along dim. Prints "Softmax(dim=1)".
class Softmax : public Module {
 public:
  explicit Softmax(const SoftmaxOptions& opts) : options(opts) {}
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Softmax"; }
  std::string extra_repr() const override { return "dim=" + std::to_string(options.dim()); }
  SoftmaxOptions options;
};

// log_softmax along dim. Prints "LogSoftmax(dim=1)".
class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(const LogSoftmaxOptions& opts) : options(opts) {}
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "LogSoftmax"; }
  std::string extra_repr() const override { return "dim=" + std::to_string(options.dim()); }
  LogSoftmaxOptions options;
};

}  // namespace ember::nn
