// Loss modules: CrossEntropyLoss, NLLLoss, MSELoss (torch.nn's), each holding its options and
// calling the functional form (nn/functional.h) in forward(input, target).
#pragma once

#include <cstdint>
#include <string>

#include "nn/module.h"
#include "nn/reduction.h"

namespace ember::nn {

// Options are plain structs with PyTorch's defaults:
//   CrossEntropyLossOptions options;
//   options.label_smoothing = 0.1;
//   CrossEntropyLoss criterion(options);
struct CrossEntropyLossOptions {
  Tensor weight;  // (C) per-class weights; undefined means all ones
  std::int64_t ignore_index = -100;
  Reduction reduction = Reduction::mean;
  double label_smoothing = 0.0;
};

struct NLLLossOptions {
  Tensor weight;
  std::int64_t ignore_index = -100;
  Reduction reduction = Reduction::mean;
};

struct MSELossOptions {
  Reduction reduction = Reduction::mean;
};

// log_softmax + nll_loss; see functional::cross_entropy. A defined weight is registered as the
// buffer "weight", as PyTorch's _WeightedLoss does. Prints "CrossEntropyLoss()".
// https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html
class CrossEntropyLoss : public Module {
 public:
  explicit CrossEntropyLoss(CrossEntropyLossOptions options = {});
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
  explicit NLLLoss(NLLLossOptions options = {});
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
  explicit MSELoss(MSELossOptions opts = {}) : options(opts) {}
  Tensor forward(const Tensor& input, const Tensor& target);
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
  std::string type_name() const override { return "MSELoss"; }

  MSELossOptions options;

 private:
  // A loss takes (input, target): Module's one-input forward is hidden, not overloaded.
  using Module::forward;
};

}  // namespace ember::nn
