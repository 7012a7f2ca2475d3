// gradcheck: compares the gradients autograd computes with finite differences, as
// torch.autograd.gradcheck does. Every differentiable op's test uses it.
#pragma once

#include <functional>
#include <vector>

#include "tensor/tensor.h"

namespace ember {

using GradcheckFn = std::function<Tensor(const std::vector<Tensor>&)>;

// Checks the Jacobian of fn at inputs. Inputs that require grad are checked (all floating
// inputs when none does); they must be float64, because central differences in float32 are
// too coarse to tell a right gradient from a wrong one. The others are passed as constants.
//
// Numerical: J[j, k] = (fn(x + eps e_k)_j - fn(x - eps e_k)_j) / (2 eps), one pair of forward
// passes per input element. Analytical: backward of one graph (retain_graph) with each unit
// output gradient e_j, or, for outputs of more than kUnitRowsLimit elements, with a few random
// output gradients v (comparing v^T J). Passes when |analytical - numerical| <= atol +
// rtol * |numerical| everywhere; otherwise reports the worst element with doctest's MESSAGE.
// The caller's tensors are not modified (fn sees copies).
bool gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, double eps = 1e-6,
               double atol = 1e-5, double rtol = 1e-3);

}  // namespace ember
