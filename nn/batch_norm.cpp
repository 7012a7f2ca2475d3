// Batch normalisation: F::batch_norm forward and backward as per-channel loops, and BatchNorm2d.
#include "ember/nn/batch_norm.h"

#include <cmath>
#include <vector>

#include "ember/nn/functional.h"
#include "ember/nn/init.h"
#include "ember/tensor/python_repr.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"

namespace ember::nn {
namespace {

// input (N, C, *) seen as (N, C, S), S the product of the trailing dims.
struct Layout {
  std::int64_t n, c, s;
  std::int64_t count() const { return n * s; }  // values per channel
};

void check_channel_vector(const Tensor& t, const char* name, std::int64_t channels,
                          Dtype dtype) {
  if (!t.defined()) return;
  check(t.numel() == channels, "batch_norm: ", name, " should contain ", channels,
        " elements not ", t.numel());
  check(t.dtype() == dtype, "batch_norm: expected ", name, " of dtype ", dtype_name(dtype),
        " (the input's), found ", dtype_name(t.dtype()));
}

Layout check_batch_norm_args(const Tensor& input, const Tensor& running_mean,
                             const Tensor& running_var, const Tensor& weight, const Tensor& bias,
                             bool training) {
  check(input.defined(), "batch_norm: expected input of shape (N, C, *), found an undefined "
        "tensor");
  check(input.dim() >= 2, "batch_norm: expected input of shape (N, C, *), found ", input.shape());
  Layout l{input.size(0), input.size(1), 1};
  for (std::int64_t d = 2; d < input.dim(); ++d) l.s *= input.size(d);
  check_channel_vector(weight, "weight", l.c, input.dtype());
  check_channel_vector(bias, "bias", l.c, input.dtype());
  check_channel_vector(running_mean, "running_mean", l.c, input.dtype());
  check_channel_vector(running_var, "running_var", l.c, input.dtype());
  if (training) {
    check(l.count() > 1, "batch_norm: expected more than 1 value per channel when training, "
          "got input size ", input.shape());
  } else {
    check(running_mean.defined() && running_var.defined(),
          "batch_norm: running_mean and running_var must be defined in evaluation mode");
  }
  return l;
}

// Per-channel mean and biased variance of x (N, C, S), two passes in double.
template <class T>
void channel_stats(const T* x, const Layout& l, std::vector<double>& mean,
                   std::vector<double>& var) {
#pragma omp parallel for if (l.n * l.c * l.s > detail::kParallelGrain)
  for (std::int64_t c = 0; c < l.c; ++c) {
    double sum = 0.0;
    for (std::int64_t n = 0; n < l.n; ++n) {
      const T* row = x + (n * l.c + c) * l.s;
      for (std::int64_t s = 0; s < l.s; ++s) sum += row[s];
    }
    const double m = sum / static_cast<double>(l.count());
    double squares = 0.0;
    for (std::int64_t n = 0; n < l.n; ++n) {
      const T* row = x + (n * l.c + c) * l.s;
      for (std::int64_t s = 0; s < l.s; ++s) squares += (row[s] - m) * (row[s] - m);
    }
    mean[c] = m;
    var[c] = squares / static_cast<double>(l.count());
  }
}

// running = (1 - momentum) running + momentum batch, written in place (bumps the version).
void update_running(const Tensor& running, const std::vector<double>& batch, double momentum) {
  std::vector<double> updated = running.contiguous().to_vector<double>();
  for (std::size_t c = 0; c < updated.size(); ++c) {
    updated[c] = (1.0 - momentum) * updated[c] + momentum * batch[c];
  }
  Tensor target = running;
  target.copy_(tensor(updated, running.shape(), kFloat64));
}

std::vector<double> values_or(const Tensor& t, std::int64_t n, double fallback) {
  return t.defined() ? t.contiguous().to_vector<double>()
                     : std::vector<double>(static_cast<std::size_t>(n), fallback);
}

}  // namespace

namespace functional {

// x (N, C, *), per channel c with mean m_c and inverse std r_c (batch or running statistics):
//   y = (x - m_c) r_c w_c + b_c = x alpha_c + beta_c.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& options) {
  const Tensor& weight = options.weight();
  const Tensor& bias = options.bias();
  const bool training = options.training();
  const double momentum = options.momentum(), eps = options.eps();
  const Layout l =
      check_batch_norm_args(input, running_mean, running_var, weight, bias, training);
  const Tensor x = input.contiguous();
  std::vector<double> mean(static_cast<std::size_t>(l.c)), var(mean.size());
  if (training) {
    detail::dispatch_floating(x.dtype(), "batch_norm", [&](auto zero) {
      channel_stats(x.data_ptr<decltype(zero)>(), l, mean, var);
    });
    NoGradGuard no_grad;
    // The running variance is the unbiased one (PyTorch's choice); normalisation uses the biased.
    const double unbias = static_cast<double>(l.count()) / static_cast<double>(l.count() - 1);
    std::vector<double> unbiased_var(var);
    for (double& v : unbiased_var) v *= unbias;
    if (running_mean.defined()) update_running(running_mean, mean, momentum);
    if (running_var.defined()) update_running(running_var, unbiased_var, momentum);
  } else {
    mean = running_mean.contiguous().to_vector<double>();
    var = running_var.contiguous().to_vector<double>();
  }
  std::vector<double> invstd(mean.size());
  for (std::size_t c = 0; c < mean.size(); ++c) invstd[c] = 1.0 / std::sqrt(var[c] + eps);
  const std::vector<double> w = values_or(weight, l.c, 1.0), b = values_or(bias, l.c, 0.0);

  Tensor y = empty(input.shape(), input.dtype());
  detail::dispatch_floating(x.dtype(), "batch_norm", [&](auto zero) {
    using T = decltype(zero);
    const T* px = x.data_ptr<T>();
    T* py = y.data_ptr<T>();
#pragma omp parallel for collapse(2) if (x.numel() > detail::kParallelGrain)
    for (std::int64_t n = 0; n < l.n; ++n) {
      for (std::int64_t c = 0; c < l.c; ++c) {
        const T alpha = static_cast<T>(invstd[c] * w[c]);
        const T beta = static_cast<T>(b[c] - mean[c] * invstd[c] * w[c]);
        const std::int64_t base = (n * l.c + c) * l.s;
        for (std::int64_t s = 0; s < l.s; ++s) py[base + s] = px[base + s] * alpha + beta;
      }
    }
  });

  // With g = dL/dy, xhat = (x - m_c) r_c and sums over the M = N*S values of channel c:
  //   dL/dw_c = sum g xhat,   dL/db_c = sum g,
  //   dL/dx = w_c r_c (g - sum g / M - xhat sum(g xhat) / M)   with batch statistics (training),
  //   dL/dx = w_c r_c g                                          with running statistics (eval).
  const bool need_x = input.requires_grad();
  const bool need_w = weight.defined() && weight.requires_grad();
  const bool need_b = bias.defined() && bias.requires_grad();
  autograd::SavedTensor saved_x(x);
  return autograd::record(
      y, "NativeBatchNormBackward0", {input, weight, bias},
      [saved_x, l, mean, invstd, w, training, need_x, need_w, need_b](const Tensor& grad_output) {
        const Tensor g = grad_output.contiguous(), x = saved_x.get();
        std::vector<double> sum_g(mean.size()), sum_gxhat(mean.size());
        Tensor dx = need_x ? empty(x.shape(), g.dtype()) : Tensor();
        detail::dispatch_floating(g.dtype(), "batch_norm backward", [&](auto zero) {
          using T = decltype(zero);
          const T* pg = g.data_ptr<T>();
          const T* px = x.data_ptr<T>();
#pragma omp parallel for if (x.numel() > detail::kParallelGrain)
          for (std::int64_t c = 0; c < l.c; ++c) {
            double sg = 0.0, sgx = 0.0;
            for (std::int64_t n = 0; n < l.n; ++n) {
              const std::int64_t base = (n * l.c + c) * l.s;
              for (std::int64_t s = 0; s < l.s; ++s) {
                sg += pg[base + s];
                sgx += pg[base + s] * (px[base + s] - mean[c]);
              }
            }
            sum_g[c] = sg;
            sum_gxhat[c] = sgx * invstd[c];
            if (!need_x) continue;
            T* pdx = dx.data_ptr<T>();
            const double m = static_cast<double>(l.count());
            const double scale = w[c] * invstd[c];
            const double mean_g = training ? sg / m : 0.0;
            const double proj = training ? sum_gxhat[c] / m * invstd[c] : 0.0;  // per (x - m_c)
            for (std::int64_t n = 0; n < l.n; ++n) {
              const std::int64_t base = (n * l.c + c) * l.s;
              for (std::int64_t s = 0; s < l.s; ++s) {
                const double centred = px[base + s] - mean[c];
                pdx[base + s] = static_cast<T>(scale * (pg[base + s] - mean_g - centred * proj));
              }
            }
          }
        });
        const Shape channels{l.c};
        return std::vector<Tensor>{
            dx, need_w ? tensor(sum_gxhat, channels, g.dtype()) : Tensor(),
            need_b ? tensor(sum_g, channels, g.dtype()) : Tensor()};
      });
}

}  // namespace functional

BatchNorm2d::BatchNorm2d(const BatchNorm2dOptions& opts) : options(opts) {
  const std::int64_t num_features = options.num_features();
  check(num_features > 0, "BatchNorm2d: expected num_features > 0, found ", num_features);
  if (options.affine()) {
    weight = register_parameter("weight", empty({num_features}));
    bias = register_parameter("bias", empty({num_features}));
  }
  if (options.track_running_stats()) {
    running_mean = register_buffer("running_mean", empty({num_features}));
    running_var = register_buffer("running_var", empty({num_features}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, kInt64));
  }
  reset_parameters();
}

void BatchNorm2d::reset_running_stats() {
  if (!options.track_running_stats()) return;
  init::zeros_(running_mean);
  init::ones_(running_var);
  init::zeros_(num_batches_tracked);
}

void BatchNorm2d::reset_parameters() {
  reset_running_stats();
  if (!options.affine()) return;
  init::ones_(weight);
  init::zeros_(bias);
}

Tensor BatchNorm2d::forward(const Tensor& input) {
  check(input.defined() && input.dim() == 4, "BatchNorm2d: expected 4D input (got ",
        input.defined() ? input.dim() : 0, "D input)");
  // As torch.nn.modules.batchnorm._BatchNorm.forward: count the batch, and with momentum None
  // weigh it by 1 / batches seen (a cumulative moving average).
  const std::optional<double> momentum = options.momentum();
  const bool track_running_stats = options.track_running_stats();
  double factor = momentum.value_or(0.0);
  if (is_training() && track_running_stats) {
    NoGradGuard no_grad;
    num_batches_tracked.add_(1.0);
    if (!momentum) factor = 1.0 / num_batches_tracked.item();
  }
  // Batch statistics in training, and in eval too when there are no running ones.
  const bool use_batch_stats = is_training() || !track_running_stats;
  const bool pass_running = !is_training() || track_running_stats;
  return functional::batch_norm(input, pass_running ? running_mean : Tensor(),
                                pass_running ? running_var : Tensor(),
                                functional::BatchNormFuncOptions()
                                    .weight(weight)
                                    .bias(bias)
                                    .training(use_batch_stats)
                                    .momentum(factor)
                                    .eps(options.eps()));
}

std::string BatchNorm2d::extra_repr() const {
  const std::optional<double> momentum = options.momentum();
  return str(options.num_features(), ", eps=", python_float_repr(options.eps()),
             ", momentum=", momentum ? python_float_repr(*momentum) : "None",
             ", affine=", options.affine() ? "True" : "False",
             ", track_running_stats=", options.track_running_stats() ? "True" : "False");
}

}  // namespace ember::nn
