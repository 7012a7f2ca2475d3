// Classification losses: nll_loss, and cross_entropy built from log_softmax + nll_loss, with
// PyTorch's label smoothing and probability targets. Forward and backward side by side.
#include <cmath>
#include <vector>

#include "ember/nn/functional.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"

namespace ember::nn::functional {
namespace {

// input (N, C, *) seen as (N, C, S), or (C) as (1, C, 1). Entry k = n * S + s of the per-sample
// values (the target, an unreduced loss) belongs to input elements (n * C + c) * S + s.
struct ClassLayout {
  std::int64_t n = 1, c = 1, s = 1;
  Shape sample_shape;  // (N, *) without the class dim; () for a 1-D input
  std::int64_t at(std::int64_t k, std::int64_t cls) const {
    return ((k / s) * c + cls) * s + k % s;
  }
};

ClassLayout class_layout(const Tensor& input, const char* op) {
  check(input.defined(), op, ": expected input of shape (N, C, *) or (C), found an undefined "
        "tensor");
  check(input.dim() >= 1, op, ": expected input of shape (N, C, *) or (C), found ",
        input.shape());
  check(is_floating_point(input.dtype()), op, ": expected a float32 or float64 input, found ",
        dtype_name(input.dtype()));
  ClassLayout l;
  if (input.dim() == 1) {
    l.c = input.size(0);
    return l;
  }
  l.n = input.size(0);
  l.c = input.size(1);
  l.sample_shape = {l.n};
  for (std::int64_t d = 2; d < input.dim(); ++d) {
    l.s *= input.size(d);
    l.sample_shape.push_back(input.size(d));
  }
  return l;
}

void check_weight(const Tensor& weight, const Tensor& input, const ClassLayout& l, const char* op) {
  if (!weight.defined()) return;
  check(weight.dim() == 1 && weight.numel() == l.c, op,
        ": weight tensor should be defined either for all ", l.c,
        " classes or no classes but got weight tensor of shape: ", weight.shape());
  check(weight.dtype() == input.dtype(), op, ": expected weight of dtype ",
        dtype_name(input.dtype()), " (the input's), found ", dtype_name(weight.dtype()));
}

void check_index_target(const Tensor& target, const Tensor& input, const ClassLayout& l,
                        const char* op) {
  check(target.defined() && target.dtype() == kInt64, op,
        ": expected a target of int64 class indices, found ",
        target.defined() ? dtype_name(target.dtype()) : "an undefined tensor");
  if (input.dim() >= 2) {
    check(target.dim() >= 1 && target.size(0) == l.n, op, ": Expected input batch_size (", l.n,
          ") to match target batch_size (", target.dim() >= 1 ? target.size(0) : 0, ").");
  }
  check(target.shape() == l.sample_shape, op, ": expected target of shape ",
        l.sample_shape, " for input of shape ", input.shape(), ", found ",
        target.shape());
}

// The weight of each target class (weight[t], or 1), 0 where t == ignore_index. Checks bounds.
std::vector<double> target_weights(const Tensor& target, const Tensor& weight,
                                   std::int64_t ignore_index, std::int64_t classes,
                                   const char* op) {
  const std::vector<std::int64_t> t = target.contiguous().to_vector<std::int64_t>();
  const std::vector<double> w = weight.defined() ? weight.contiguous().to_vector<double>()
                                                 : std::vector<double>();
  std::vector<double> out(t.size(), 0.0);
  for (std::size_t k = 0; k < t.size(); ++k) {
    if (t[k] == ignore_index) continue;
    check(t[k] >= 0 && t[k] < classes, op, ": Target ", t[k], " is out of bounds.");
    out[k] = w.empty() ? 1.0 : w[static_cast<std::size_t>(t[k])];
  }
  return out;
}

// The factor that carries the output gradient to the loss of sample k: g for "sum",
// g / denominator for "mean", g[k] for "none".
struct GradScale {
  Reduction reduction;
  double denominator;
  std::vector<double> per_sample;  // "none": the output gradient, flattened
  double scalar = 0.0;

  GradScale(Reduction r, double denom, const Tensor& grad) : reduction(r), denominator(denom) {
    if (r == Reduction::none) per_sample = grad.contiguous().to_vector<double>();
    else scalar = grad.item() / (r == Reduction::mean ? denominator : 1.0);
  }
  double operator[](std::int64_t k) const {
    return reduction == Reduction::none ? per_sample[static_cast<std::size_t>(k)] : scalar;
  }
};

// Folds per-sample losses into the result: shape (N, *) for "none", else a 0-d tensor holding
// the sum, or the sum / denominator.
Tensor reduce_losses(const std::vector<double>& losses, const ClassLayout& l, Reduction reduction,
                     double denominator, Dtype dtype) {
  // (tensor() reads an empty shape as 1-D, so view a 1-D input's single loss as 0-d.)
  if (reduction == Reduction::none) return tensor(losses, {}, dtype).view(l.sample_shape);
  double sum = 0.0;
  for (double v : losses) sum += v;
  return scalar_tensor(reduction == Reduction::mean ? sum / denominator : sum, dtype);
}

// loss_k = -sum_c w_c q_(k,c) logp_(k,c) for the kept samples k, q being class probabilities,
// or all ones when undefined (label smoothing's uniform term, before its 1/C).
Tensor class_sum_loss(const Tensor& logp, const Tensor& q, const Tensor& weight,
                      const std::vector<double>& keep, const ClassLayout& l, Reduction reduction,
                      double denominator) {
  const std::vector<double> x = logp.contiguous().to_vector<double>();
  const std::vector<double> p = q.defined() ? q.contiguous().to_vector<double>()
                                            : std::vector<double>(x.size(), 1.0);
  const std::vector<double> w = weight.defined() ? weight.contiguous().to_vector<double>()
                                                 : std::vector<double>(l.c, 1.0);
  const std::int64_t samples = l.n * l.s;
  std::vector<double> losses(static_cast<std::size_t>(samples), 0.0);
  for (std::int64_t k = 0; k < samples; ++k) {
    if (!keep.empty() && keep[k] == 0.0) continue;
    double acc = 0.0;
    for (std::int64_t c = 0; c < l.c; ++c) acc += w[c] * p[l.at(k, c)] * x[l.at(k, c)];
    losses[k] = -acc;
  }
  Tensor out = reduce_losses(losses, l, reduction, denominator, logp.dtype());

  // dL/dlogp_(k,c) = -w_c q_(k,c) s_k,   dL/dq_(k,c) = -w_c logp_(k,c) s_k,   s_k the GradScale.
  const bool need_logp = logp.requires_grad(), need_q = q.defined() && q.requires_grad();
  const Shape shape = logp.shape();
  const Dtype dtype = logp.dtype();
  return autograd::record(
      out, "CrossEntropyLossBackward0", {logp, q},
      [x, p, w, keep, l, reduction, denominator, need_logp, need_q, shape,
       dtype](const Tensor& grad) {
        const GradScale scale(reduction, denominator, grad);
        std::vector<double> dlogp(need_logp ? x.size() : 0, 0.0), dq(need_q ? x.size() : 0, 0.0);
        for (std::int64_t k = 0; k < l.n * l.s; ++k) {
          if (!keep.empty() && keep[k] == 0.0) continue;
          for (std::int64_t c = 0; c < l.c; ++c) {
            const std::int64_t i = l.at(k, c);
            if (need_logp) dlogp[i] = -w[c] * p[i] * scale[k];
            if (need_q) dq[i] = -w[c] * x[i] * scale[k];
          }
        }
        return std::vector<Tensor>{need_logp ? tensor(dlogp, shape, dtype) : Tensor(),
                                   need_q ? tensor(dq, shape, dtype) : Tensor()};
      });
}

}  // namespace

// loss_k = -w[t_k] input[k, t_k]; "mean" divides the sum by sum_k w[t_k] (ignored k excluded).
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossFuncOptions& options) {
  const Tensor& weight = options.weight();
  const std::int64_t ignore_index = options.ignore_index();
  const Reduction reduction = options.reduction();
  const ClassLayout l = class_layout(input, "nll_loss");
  check_index_target(target, input, l, "nll_loss");
  check_weight(weight, input, l, "nll_loss");
  const std::vector<double> tw = target_weights(target, weight, ignore_index, l.c, "nll_loss");
  const std::vector<std::int64_t> t = target.contiguous().to_vector<std::int64_t>();
  double total_weight = 0.0;
  for (double v : tw) total_weight += v;

  std::vector<double> losses(tw.size(), 0.0);
  detail::dispatch_floating(input.dtype(), "nll_loss", [&](auto zero) {
    using T = decltype(zero);
    const Tensor x = input.contiguous();
    const T* px = x.data_ptr<T>();
    for (std::size_t k = 0; k < tw.size(); ++k) {
      if (t[k] != ignore_index) losses[k] = -tw[k] * px[l.at(static_cast<std::int64_t>(k), t[k])];
    }
  });
  Tensor out = reduce_losses(losses, l, reduction, total_weight, input.dtype());

  // dL/dinput[k, t_k] = -w[t_k] s_k (s_k the GradScale); every other class gets 0.
  const Shape shape = input.shape();
  return autograd::record(
      out, "NllLossBackward0", {input},
      [t, tw, l, reduction, total_weight, ignore_index, shape](const Tensor& grad) {
        const GradScale scale(reduction, total_weight, grad);
        std::vector<double> dx(static_cast<std::size_t>(numel_of(shape)), 0.0);
        for (std::size_t k = 0; k < t.size(); ++k) {
          const auto kk = static_cast<std::int64_t>(k);
          if (t[k] != ignore_index) dx[l.at(kk, t[k])] = -tw[k] * scale[kk];
        }
        return std::vector<Tensor>{tensor(dx, shape, grad.dtype())};
      });
}

// See functional.h. With label smoothing s and class indices, as PyTorch computes it:
//   (1 - s) nll_loss(logp, target) + (s / C) reduce_k(-sum_c w_c logp_(k,c)),
// ignored samples dropped from both terms, "mean" dividing both by sum_k w[t_k].
Tensor cross_entropy(const Tensor& input, const Tensor& target,
                     const CrossEntropyFuncOptions& options) {
  const Tensor& weight = options.weight();
  const std::int64_t ignore_index = options.ignore_index();
  const Reduction reduction = options.reduction();
  const double label_smoothing = options.label_smoothing();
  check(label_smoothing >= 0.0 && label_smoothing <= 1.0,
        "cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: ", label_smoothing);
  const ClassLayout l = class_layout(input, "cross_entropy");
  check_weight(weight, input, l, "cross_entropy");
  const Tensor logp = log_softmax(input, input.dim() == 1 ? 0 : 1);
  const double classes = static_cast<double>(l.c);

  if (target.defined() && is_floating_point(target.dtype())) {
    // Class probabilities (N, C, *): the smoothing moves them towards uniform; "mean" divides
    // by the number of samples.
    check(ignore_index < 0, "cross_entropy: ignore_index is not supported for floating point target");
    check(target.shape() == input.shape(), "cross_entropy: expected a target of class "
          "probabilities of shape ", input.shape(), ", found ", target.shape());
    check(target.dtype() == input.dtype(), "cross_entropy: expected target of dtype ",
          dtype_name(input.dtype()), " (the input's), found ", dtype_name(target.dtype()));
    const Tensor q =
        label_smoothing > 0 ? target * (1.0 - label_smoothing) + label_smoothing / classes : target;
    return class_sum_loss(logp, q, weight, {}, l, reduction, static_cast<double>(l.n * l.s));
  }

  // Checked here too, so that errors name cross_entropy rather than the nll_loss inside it.
  check_index_target(target, input, l, "cross_entropy");
  const std::vector<double> keep =
      target_weights(target, Tensor(), ignore_index, l.c, "cross_entropy");
  const Tensor nll = nll_loss(
      logp, target,
      NLLLossFuncOptions().weight(weight).ignore_index(ignore_index).reduction(reduction));
  if (label_smoothing == 0.0) return nll;
  double total_weight = 0.0;
  for (double v : target_weights(target, weight, ignore_index, l.c, "cross_entropy")) {
    total_weight += v;
  }
  const Tensor smooth = class_sum_loss(logp, Tensor(), weight, keep, l, reduction, total_weight);
  return nll * (1.0 - label_smoothing) + smooth * (label_smoothing / classes);
}

}  // namespace ember::nn::functional
