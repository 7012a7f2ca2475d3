// The functional forms of ember's layers, activations and losses (torch.nn.functional).
//
// Every function here is differentiable: it computes its result and records its backward next
// to it (see the .cpp named in each section). The module classes (Linear, BatchNorm2d, ...)
// hold parameters and call these. Shapes use PyTorch's letters: N batch, C classes or
// channels, * any number of extra dims.
#pragma once

#include <cstdint>

#include "nn/reduction.h"
#include "tensor/generator.h"
#include "tensor/tensor.h"

namespace ember::nn::functional {

// ---- activations (nn/activation.cpp, nn/softmax.cpp) -------------------------------------------

// max(x, 0). https://pytorch.org/docs/stable/generated/torch.nn.functional.relu.html
Tensor relu(const Tensor& input);

// exp(x_i) / sum_j exp(x_j) along dim, computed as exp(x_i - max) for stability.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.softmax.html
Tensor softmax(const Tensor& input, std::int64_t dim);
// x_i - max - log(sum_j exp(x_j - max)) along dim.
Tensor log_softmax(const Tensor& input, std::int64_t dim);

// ---- layers --------------------------------------------------------------------------------------

// y = x W^T + b (nn/linear.cpp). input (*, in_features), weight (out_features, in_features),
// bias (out_features) or undefined; returns (*, out_features).
// https://pytorch.org/docs/stable/generated/torch.nn.functional.linear.html
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor());

// Batch normalisation over the channel dim (nn/batch_norm.cpp). input (N, C, *); running_mean,
// running_var, weight, bias (C) or undefined. training: normalise with the batch's mean and
// biased variance, and (when the running stats are defined) update them in place:
//   running_mean = (1 - momentum) running_mean + momentum mean
//   running_var  = (1 - momentum) running_var  + momentum unbiased_var
// Otherwise normalise with the running stats. PyTorch's F.batch_norm, argument for argument.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.batch_norm.html
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = Tensor(), const Tensor& bias = Tensor(),
                  bool training = false, double momentum = 0.1, double eps = 1e-5);

// Zeroes each element with probability p and scales the rest by 1 / (1 - p) (nn/dropout.cpp).
// The mask is drawn from generator (default_generator() when null). Returns input itself when
// not training or p == 0, as PyTorch does.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.dropout.html
Tensor dropout(const Tensor& input, double p = 0.5, bool training = true,
               Generator* generator = nullptr);

// ---- losses (nn/nll_loss.cpp, nn/cross_entropy.cpp, nn/mse_loss.cpp) -----------------------------
// A weight (C) rescales each class; undefined means all ones. Targets equal to ignore_index
// contribute nothing, and "mean" divides by the summed weight of the targets that count.

// -weight[t] * input[n, t] per target. input (N, C, *) or (C) of log-probabilities; target
// (N, *) or () of int64 class indices.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.nll_loss.html
Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                std::int64_t ignore_index = -100, Reduction reduction = Reduction::mean);

// nll_loss(log_softmax(input, 1), target), blended with the uniform distribution when
// label_smoothing > 0: (1 - s) nll + (s / C) sum_c -weight[c] log_softmax(input)[n, c].
// target is int64 class indices (N, *), or class probabilities of input's shape (float).
// https://pytorch.org/docs/stable/generated/torch.nn.functional.cross_entropy.html
Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                     std::int64_t ignore_index = -100, Reduction reduction = Reduction::mean,
                     double label_smoothing = 0.0);

// (input - target)^2, target broadcast to input's shape.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.mse_loss.html
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);

}  // namespace ember::nn::functional

// conv2d, max_pool2d, avg_pool2d and adaptive_avg_pool2d are declared next to their layers;
// including them here makes this the one header for all of torch.nn.functional's forms.
#include "nn/adaptive_avg_pool2d.h"
#include "nn/avg_pool2d.h"
#include "nn/conv2d.h"
#include "nn/max_pool2d.h"
