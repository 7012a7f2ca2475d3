// The functional forms of ember's layers, activations and losses (torch.nn.functional), all
// declared here; each is defined, with its backward, in the .cpp named in its section. The
// module classes (Linear, Conv2d, BatchNorm2d, ...) hold parameters and call these. Arguments
// beyond the tensors come in an options class, as torch::nn::functional's do:
//   F::conv2d(x, w, F::Conv2dFuncOptions().bias(b).padding(2))
// Shapes use PyTorch's letters: N batch, C classes or channels, * any number of extra dims.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "ember/core/arg.h"
#include "ember/nn/activation.h"
#include "ember/nn/avg_pool2d.h"
#include "ember/nn/conv_utils.h"
#include "ember/nn/loss.h"
#include "ember/nn/max_pool2d.h"
#include "ember/nn/reduction.h"
#include "ember/tensor/generator.h"
#include "ember/tensor/tensor.h"

namespace ember::nn::functional {

// ---- activations (nn/activation.cpp, nn/softmax.cpp) -------------------------------------------

// max(x, 0). https://pytorch.org/docs/stable/generated/torch.nn.functional.relu.html
Tensor relu(const Tensor& input);

// The activation layers' options, as in torch::nn::functional.
using LeakyReLUFuncOptions = LeakyReLUOptions;
using GELUFuncOptions = GELUOptions;

// x where x >= 0, else negative_slope x.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.leaky_relu.html
Tensor leaky_relu(const Tensor& input, const LeakyReLUFuncOptions& options = {});

// approximate "none": x Phi(x) = x (1 + erf(x / sqrt 2)) / 2; "tanh":
// x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) / 2. float32 or float64.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.gelu.html
Tensor gelu(const Tensor& input, const GELUFuncOptions& options = {});

// x sigmoid(x) = x / (1 + e^-x). float32 or float64.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.silu.html
Tensor silu(const Tensor& input);

// exp(x_i) / sum_j exp(x_j) along dim, computed as exp(x_i - max) for stability.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.softmax.html
Tensor softmax(const Tensor& input, std::int64_t dim);
// x_i - max - log(sum_j exp(x_j - max)) along dim.
Tensor log_softmax(const Tensor& input, std::int64_t dim);

// ---- linear and convolution (nn/linear.cpp, nn/conv2d.cpp, nn/conv1d.cpp, nn/conv_transpose2d.cpp)

// y = x W^T + b. input (*, in_features), weight (out_features, in_features), bias
// (out_features) or undefined; returns (*, out_features).
// https://pytorch.org/docs/stable/generated/torch.nn.functional.linear.html
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor());

// conv2d's arguments besides input and weight: the bias (undefined: none) and the window.
struct Conv2dFuncOptions {
  EMBER_ARG(Tensor, bias);
  EMBER_ARG(Pair, stride) = 1;
  EMBER_ARG(Pair, padding) = 0;
  EMBER_ARG(Pair, dilation) = 1;
  EMBER_ARG(std::int64_t, groups) = 1;
};

// Cross-correlation of input with weight, as torch.nn.functional.conv2d:
//   out[n, o, y, x] = bias[o] + sum over c in o's group, i < kH, j < kW of
//                     weight[o, c, i, j] * input[n, g C/groups + c, y sH - pH + i dH, x sW - pW + j dW]
// with zeros outside the input. input (N, C, H, W), weight (O, C/groups, kH, kW), bias (O) or
// undefined; returns (N, O, Ho, Wo) with Ho = floor((H + 2 pH - dH (kH - 1) - 1) / sH) + 1.
// Differentiable in input, weight and bias (grad_fn ConvolutionBackward0). float32 or float64.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.conv2d.html
Tensor conv2d(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& options = {});

// conv1d's arguments besides input and weight, as Conv2dFuncOptions' with one number per dim.
struct Conv1dFuncOptions {
  EMBER_ARG(Tensor, bias);
  EMBER_ARG(std::int64_t, stride) = 1;
  EMBER_ARG(std::int64_t, padding) = 0;
  EMBER_ARG(std::int64_t, dilation) = 1;
  EMBER_ARG(std::int64_t, groups) = 1;
};

// conv2d over one spatial dim: input (N, C, L) or unbatched (C, L), weight (O, C/groups, K),
// bias (O) or undefined; returns (N, O, Lo) or (O, Lo), Lo = floor((L + 2 p - d (K - 1) - 1) /
// s) + 1. Computed by conv2d (nn/conv1d.cpp). grad_fn ConvolutionBackward0.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.conv1d.html
Tensor conv1d(const Tensor& input, const Tensor& weight, const Conv1dFuncOptions& options = {});

// conv_transpose2d's arguments besides input and weight, in PyTorch's order.
struct ConvTranspose2dFuncOptions {
  EMBER_ARG(Tensor, bias);
  EMBER_ARG(Pair, stride) = 1;
  EMBER_ARG(Pair, padding) = 0;
  EMBER_ARG(Pair, output_padding) = 0;
  EMBER_ARG(std::int64_t, groups) = 1;
  EMBER_ARG(Pair, dilation) = 1;
};

// The adjoint of conv2d in its input (the gradient conv2d's backward sends to its input),
// plus bias: every input pixel spreads weight-scaled copies over a kH x kW window of the output.
// input (N, C, H, W), weight (C, O/groups, kH, kW), bias (O) or undefined; returns (N, O, Ho, Wo)
// with Ho = (H - 1) sH - 2 pH + dH (kH - 1) + opH + 1 (op the output_padding, which must be
// smaller than the stride or the dilation). grad_fn ConvolutionBackward0. float32 or float64.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.conv_transpose2d.html
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight,
                        const ConvTranspose2dFuncOptions& options = {});

// ---- pooling (nn/max_pool2d.cpp, nn/avg_pool2d.cpp, nn/adaptive_avg_pool2d.cpp) -----------------

// The layers' options, as in torch::nn::functional: F::max_pool2d(x, F::MaxPool2dFuncOptions(2)).
using MaxPool2dFuncOptions = MaxPool2dOptions;
using AvgPool2dFuncOptions = AvgPool2dOptions;

// out[n, c, y, x] = max over i < kH, j < kW of input[n, c, y sH - pH + i dH, x sW - pW + j dW],
// positions in the padding taking no part (PyTorch pads with -inf). A NaN in a window wins;
// among equal maxima the first in row-major order gets the gradient. input (N, C, H, W) ->
// (N, C, Ho, Wo), Ho = floor or, with ceil_mode, ceil((H + 2 pH - dH (kH - 1) - 1) / sH) + 1,
// where with ceil_mode a last window that would start in the right padding is dropped.
// padding must be at most half the kernel. grad_fn MaxPool2DWithIndicesBackward0.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.max_pool2d.html
Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& options);

// out[n, c, y, x] = (sum of input over the window rows y sH - pH .. + kH, columns
// x sW - pW .. + kW that lie inside the input) / divisor, where the divisor is
// divisor_override if given, else the window's size clipped to the padded input when
// count_include_pad, else the number of input pixels in the window. input (N, C, H, W) ->
// (N, C, Ho, Wo), sizes as max_pool2d's with dilation 1. grad_fn AvgPool2DBackward0.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.avg_pool2d.html
Tensor avg_pool2d(const Tensor& input, const AvgPool2dFuncOptions& options);

// out[n, c, y, x] = mean of input[n, c, h0 .. h1, w0 .. w1) with h0 = floor(y H / Ho) and
// h1 = ceil((y + 1) H / Ho) (likewise for w): windows that cover the input and may overlap by
// one pixel. input (N, C, H, W) -> (N, C, Ho, Wo). grad_fn AdaptiveAvgPool2DBackward0.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.adaptive_avg_pool2d.html
Tensor adaptive_avg_pool2d(const Tensor& input, Pair output_size);

// ---- normalisation and dropout (nn/batch_norm.cpp, nn/layer_norm.cpp, nn/group_norm.cpp,
// nn/dropout.cpp) ----------------------------------------------------------------------------------

// batch_norm's arguments besides the input and the running stats, PyTorch's defaults.
struct BatchNormFuncOptions {
  EMBER_ARG(Tensor, weight);
  EMBER_ARG(Tensor, bias);
  EMBER_ARG(bool, training) = false;
  EMBER_ARG(double, momentum) = 0.1;
  EMBER_ARG(double, eps) = 1e-5;
};

// Batch normalisation over the channel dim. input (N, C, *); running_mean, running_var, and
// options' weight and bias (C) or undefined. training: normalise with the batch's mean and
// biased variance, and (when the running stats are defined) update them in place:
//   running_mean = (1 - momentum) running_mean + momentum mean
//   running_var  = (1 - momentum) running_var  + momentum unbiased_var
// Otherwise normalise with the running stats.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.batch_norm.html
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& options = {});

// layer_norm's arguments besides the input: the normalised trailing shape, and weight and
// bias of that shape or undefined (1 and 0).
struct LayerNormFuncOptions {
  LayerNormFuncOptions(Shape normalized_shape)  // NOLINT: implicit, as PyTorch's
      : normalized_shape_(std::move(normalized_shape)) {}

  EMBER_ARG(Shape, normalized_shape);
  EMBER_ARG(Tensor, weight);
  EMBER_ARG(Tensor, bias);
  EMBER_ARG(double, eps) = 1e-5;
};

// Each sample normalised over its trailing dims: input (*, normalized_shape), every slice
// x of normalized_shape becomes (x - mean(x)) / sqrt(var(x) + eps) * weight + bias, var biased.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.layer_norm.html
Tensor layer_norm(const Tensor& input, const LayerNormFuncOptions& options);

// group_norm's arguments besides the input: the number of groups, and weight and bias (C) or
// undefined (1 and 0).
struct GroupNormFuncOptions {
  GroupNormFuncOptions(std::int64_t num_groups)  // NOLINT: implicit, as PyTorch's
      : num_groups_(num_groups) {}

  EMBER_ARG(std::int64_t, num_groups);
  EMBER_ARG(Tensor, weight);
  EMBER_ARG(Tensor, bias);
  EMBER_ARG(double, eps) = 1e-5;
};

// input (N, C, *): the C channels split into num_groups groups of consecutive channels; each
// group of each sample normalised by its mean and biased variance, then scaled and shifted per
// channel: y[n, c] = (x[n, c] - mean_ng) / sqrt(var_ng + eps) * weight[c] + bias[c].
// https://pytorch.org/docs/stable/generated/torch.nn.functional.group_norm.html
Tensor group_norm(const Tensor& input, const GroupNormFuncOptions& options);

// dropout's arguments. generator is ember's addition: the mask's source (not owned), and
// default_generator() when null.
struct DropoutFuncOptions {
  EMBER_ARG(double, p) = 0.5;
  EMBER_ARG(bool, training) = true;
  EMBER_ARG(Generator*, generator) = nullptr;
};

// Zeroes each element with probability p and scales the rest by 1 / (1 - p). Returns input
// itself when not training or p == 0, as PyTorch does.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.dropout.html
Tensor dropout(const Tensor& input, const DropoutFuncOptions& options = {});

// dropout2d takes dropout's options, as in torch::nn::functional.
using Dropout2dFuncOptions = DropoutFuncOptions;

// Zeroes whole channels: input (N, C, *), at least 2-D; each (n, c) slice is zeroed with
// probability p, the others scaled by 1 / (1 - p). As PyTorch 1.13 does, a 3-D input is read as
// (N, C, L), not as an unbatched (C, H, W). Returns input itself when not training or p == 0.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.dropout2d.html
Tensor dropout2d(const Tensor& input, const Dropout2dFuncOptions& options = {});

// ---- embedding (nn/embedding.cpp) -------------------------------------------------------------

// embedding's arguments besides the indices and the weight, PyTorch's defaults. padding_idx,
// when set, is a row whose gradient stays zero (negative counts from the end). max_norm,
// scale_grad_by_freq and sparse other than their defaults are refused with an Error.
struct EmbeddingFuncOptions {
  EMBER_ARG(std::optional<std::int64_t>, padding_idx);
  EMBER_ARG(std::optional<double>, max_norm);
  EMBER_ARG(double, norm_type) = 2.0;
  EMBER_ARG(bool, scale_grad_by_freq) = false;
  EMBER_ARG(bool, sparse) = false;
};

// Row lookup: input (*) int64 indices into weight (num_embeddings, embedding_dim); returns
// (*, embedding_dim), out[..., :] = weight[input[...], :]. Differentiable in weight: each row's
// gradient is the sum of the output gradients of the positions that picked it (none for
// padding_idx). grad_fn EmbeddingBackward0.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.embedding.html
Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& options = {});

// ---- losses (nn/cross_entropy.cpp, nn/mse_loss.cpp) --------------------------------------------
// The loss modules' options (nn/loss.h). A weight (C) rescales each class; undefined means all
// ones. Targets equal to ignore_index contribute nothing, and "mean" divides by the summed
// weight of the targets that count.
using CrossEntropyFuncOptions = CrossEntropyLossOptions;
using NLLLossFuncOptions = NLLLossOptions;
using MSELossFuncOptions = MSELossOptions;

// -weight[t] * input[n, t] per target. input (N, C, *) or (C) of log-probabilities; target
// (N, *) or () of int64 class indices.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.nll_loss.html
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossFuncOptions& options = {});

// nll_loss(log_softmax(input, 1), target), blended with the uniform distribution when
// label_smoothing > 0: (1 - s) nll + (s / C) sum_c -weight[c] log_softmax(input)[n, c].
// target is int64 class indices (N, *), or class probabilities of input's shape (float).
// https://pytorch.org/docs/stable/generated/torch.nn.functional.cross_entropy.html
Tensor cross_entropy(const Tensor& input, const Tensor& target,
                     const CrossEntropyFuncOptions& options = {});

// (input - target)^2, target broadcast to input's shape.
// https://pytorch.org/docs/stable/generated/torch.nn.functional.mse_loss.html
Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& options = {});

}  // namespace ember::nn::functional
