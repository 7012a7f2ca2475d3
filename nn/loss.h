// Loss modules: CrossEntropyLoss, NLLLoss, MSELoss (torch.nn's), each holding its options and
// calling the functional form (nn/functional.h) in forward(input, target).
#pragma once

#include <cstdint>
#include <string>

#include "ember/core/arg.h"
#include "ember/nn/module.h"
#include "ember/nn/reduction.h"

namespace ember::nn {

// The losses' arguments, with PyTorch's names and defaults; functional::cross_entropy, nll_loss
// and mse_loss take the same classes (CrossEntropyFuncOptions and so on, nn/functional.h):
//   CrossEntropyLoss(CrossEntropyLossOptions().reduction(Reduction::sum).label_smoothing(0.1))
// weight is a (C) tensor of per-class weights; undefined means all ones. Targets equal to
// ignore_index contribute nothing.
struct CrossEntropyLossOptions {
  EMBER_ARG(Tensor, weight);
  EMBER_ARG(std::int64_t, ignore_index) = -100;
  EMBER_ARG(Reduction, reduction) = Reduction::mean;
  EMBER_ARG(double, label_smoothing) = 0.0;
};

struct NLLLossOptions {
  EMBER_ARG(Tensor, weight);
  EMBER_ARG(std::int64_t, ignore_index) = -100;
  EMBER_ARG(Reduction, reduction) = Reduction::mean;
};

// MSELossOptions(Reduction::sum), or MSELossOptions().reduction(Reduction::sum).
struct MSELossOptions {
  MSELossOptions(Reduction reduction = Reduction::mean) : reduction_(reduction) {}  // NOLINT

  EMBER_ARG(Reduction, reduction);
};

// log_softmax + nll_loss; see functional::cross_entropy. A defined weight is registered as the
// buffer "weight", as PyTorch's _WeightedLoss does. Prints "CrossEntropyLoss()".
// https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html
class CrossEntropyLoss : public Module {
 public:
  explicit CrossEntropyLoss(const CrossEntropyLossOptions& opts = {});
  // input (N, C, *) logits; target (N, *) int64 class indices or (N, C, *) probabilities.
  Tensor forward(const Tensor& input, const Tensor& target);
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
  std::string type_name() const override { return "CrossEntropyLoss"; }

  CrossEntropyLossOptions options;

 private:
  // A loss takes (input, target): Module's one-input forward is hidden, not overloaded.
  using Module::forward;
};

// Negative log-likelihood of log-probabilities; see functional::nll_loss. Prints "NLLLoss()".
// https://pytorch.org/docs/stable/generated/torch.nn.NLLLoss.html
class NLLLoss : public Module {
 public:
  explicit NLLLoss(const NLLLossOptions& opts = {});
  Tensor forward(const Tensor& input, const Tensor& target);
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
  std::string type_name() const override { return "NLLLoss"; }

  NLLLossOptions options;

 private:
  // A loss takes (input, target): Module's one-input forward is hidden, not overloaded.
  using Module::forward;
};

// Squared error; see functional::mse_loss. Prints "MSELoss()".
// https://pytorch.org/docs/stable/generated/torch.nn.MSELoss.html
class MSELoss : public Module {
 public:
  explicit MSELoss(const MSELossOptions& opts = {}) : options(opts) {}
  Tensor forward(const Tensor& input, const Tensor& target);
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
  std::string type_name() const override { return "MSELoss"; }

  MSELossOptions options;

 private:
  // A loss takes (input, target): Module's one-input forward is hidden, not overloaded.
  using Module::forward;
};

}  // namespace ember::nn
