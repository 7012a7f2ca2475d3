// Activation modules: ReLU, Tanh, Sigmoid, Softmax, LogSoftmax (torch.nn's, printed alike).
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
