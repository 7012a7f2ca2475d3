// Activation modules: ReLU, Tanh, Sigmoid, Softmax, LogSoftmax (torch.nn's, printed alike).
#pragma once

#include <cstdint>
#include <string>

#include "nn/module.h"

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

// softmax along dim. Prints "Softmax(dim=1)".
class Softmax : public Module {
 public:
  explicit Softmax(std::int64_t dimension) : dim(dimension) {}
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Softmax"; }
  std::string extra_repr() const override { return "dim=" + std::to_string(dim); }
  std::int64_t dim;
};

// log_softmax along dim. Prints "LogSoftmax(dim=1)".
class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(std::int64_t dimension) : dim(dimension) {}
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "LogSoftmax"; }
  std::string extra_repr() const override { return "dim=" + std::to_string(dim); }
  std::int64_t dim;
};

}  // namespace ember::nn
