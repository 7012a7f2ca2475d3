// Helpers over a model's parameters (torch.nn.utils): gradient clipping, flattening the
// parameters into one vector and back, and counting them.
#pragma once

#include <cstdint>
#include <vector>

#include "ember/nn/module.h"
#include "ember/tensor/tensor.h"

namespace ember::nn::utils {

// Scales the gradients of parameters in place so that their total norm is at most max_norm,
// and returns the total norm before clipping (torch.nn.utils.clip_grad_norm_; a double, as in
// PyTorch's C++ frontend). The total norm is the norm_type-norm of all gradients together, as if
// concatenated into one vector: p = 2 by default, INFINITY for the largest |g|. Gradients are
// multiplied by min(1, max_norm / (total + 1e-6)). Parameters without a gradient are skipped;
// with none, the result is 0. error_if_nonfinite throws Error when the total is NaN or infinite
// instead of scaling by it.
double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm,
                       double norm_type = 2.0, bool error_if_nonfinite = false);

// Clamps every gradient into [-clip_value, clip_value] in place
// (torch.nn.utils.clip_grad_value_).
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);

// All parameters flattened and concatenated into one 1-D tensor, in order
// (torch.nn.utils.parameters_to_vector). Differentiable: the gradient flows back to each one.
Tensor parameters_to_vector(const std::vector<Tensor>& parameters);

// Copies consecutive slices of the 1-D vec into the parameters, in order
// (torch.nn.utils.vector_to_parameters). PyTorch rebinds each parameter's .data to a view of
// vec; ember copies, so the parameters keep their own storage (and optimizers holding them see
// the new values). vec must hold exactly as many elements as the parameters together.
void vector_to_parameters(const Tensor& vec, const std::vector<Tensor>& parameters);

// The number of parameter elements, sum(p.numel() for p in parameters), optionally only of those
// that require grad. PyTorch has no function for this; the Python idiom is the sum above.
std::int64_t parameter_count(const std::vector<Tensor>& parameters, bool trainable_only = false);
std::int64_t parameter_count(const Module& module, bool trainable_only = false);

}  // namespace ember::nn::utils
