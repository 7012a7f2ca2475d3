// torch.nn.utils's clip_grad_norm_, clip_grad_value_, parameters_to_vector and
// vector_to_parameters, and a parameter count.
#include "ember/nn/utils.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "ember/tensor/autograd.h"
#include "ember/tensor/ops.h"

namespace ember::nn::utils {
namespace {

// The gradients that exist, as PyTorch's [p.grad for p in parameters if p.grad is not None].
std::vector<Tensor> grads_of(const std::vector<Tensor>& parameters) {
  std::vector<Tensor> grads;
  for (const Tensor& p : parameters) {
    if (p.defined() && p.grad().defined()) grads.push_back(p.grad());
  }
  return grads;
}

// Python's float(norm_type) in PyTorch's message: 2.0, inf, 1.5.
std::string python_float(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream out;
  out << v;
  if (v == std::floor(v)) out << ".0";
  return out.str();
}

// The p-norm of all values of all grads together, in double: max |g| for p = inf, min |g| for
// p = -inf, the count of non-zeros for p = 0, else (sum |g|^p)^(1/p).
double total_norm(const std::vector<Tensor>& grads, double p) {
  double acc = p == -INFINITY ? INFINITY : 0.0;
  for (const Tensor& g : grads) {
    for (double v : g.to_vector<double>()) {
      const double a = std::abs(v);
      if (std::isnan(a)) return NAN;
      if (p == INFINITY) acc = std::max(acc, a);
      else if (p == -INFINITY) acc = std::min(acc, a);
      else if (p == 0) acc += a != 0 ? 1.0 : 0.0;
      else acc += std::pow(a, p);
    }
  }
  if (std::isinf(p) || p == 0) return acc;
  return std::pow(acc, 1.0 / p);
}

}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  const std::vector<Tensor> grads = grads_of(parameters);
  if (grads.empty()) return 0.0;
  const double total = total_norm(grads, norm_type);
  check(!error_if_nonfinite || std::isfinite(total), "The total norm of order ",
        python_float(norm_type), " for gradients from `parameters` is non-finite, so it cannot "
        "be clipped. To disable this error and scale the gradients by the non-finite norm anyway, "
        "set `error_if_nonfinite=False`");
  // PyTorch multiplies by the clamped coefficient even when it is 1: by NaN when the norm is
  // NaN (std::min keeps its first argument then), by 0 when it is infinite. The 1e-6 keeps a
  // zero norm from dividing by zero.
  const double coef = std::min(max_norm / (total + 1e-6), 1.0);
  NoGradGuard no_grad;
  for (Tensor g : grads) g.mul_(coef);
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
  NoGradGuard no_grad;
  for (Tensor g : grads_of(parameters)) g.copy_(clamp(g, -clip_value, clip_value));
}

Tensor parameters_to_vector(const std::vector<Tensor>& parameters) {
  std::vector<Tensor> flat;
  flat.reserve(parameters.size());
  for (const Tensor& p : parameters) flat.push_back(p.reshape({-1}));
  return cat(flat, 0);
}

void vector_to_parameters(const Tensor& vec, const std::vector<Tensor>& parameters) {
  check(vec.defined() && vec.dim() == 1, "vector_to_parameters: expected a 1-D vector, found ",
        vec.defined() ? str("shape ", vec.shape()) : std::string("an undefined tensor"));
  const std::int64_t total = parameter_count(parameters);
  check(vec.numel() == total, "vector_to_parameters: expected a vector of ", total,
        " elements (the parameters' total), found ", vec.numel());
  NoGradGuard no_grad;
  std::int64_t offset = 0;
  for (const Tensor& p : parameters) {
    const std::int64_t n = p.numel();
    Tensor(p).copy_(vec.narrow(0, offset, n).reshape(p.shape()));
    offset += n;
  }
}

std::int64_t parameter_count(const std::vector<Tensor>& parameters, bool trainable_only) {
  std::int64_t count = 0;
  for (const Tensor& p : parameters) {
    if (!trainable_only || p.requires_grad()) count += p.numel();
  }
  return count;
}

std::int64_t parameter_count(const Module& module, bool trainable_only) {
  return parameter_count(module.parameters(), trainable_only);
}

}  // namespace ember::nn::utils
