// gradcheck: compares the gradients autograd computes with finite differences, as
// torch.autograd.gradcheck does: the check to run on a new op. Every op's test in ember uses it.
#pragma once

#include <functional>
#include <vector>

#include "ember/core/arg.h"
#include "ember/tensor/tensor.h"

namespace ember {

using GradcheckFn = std::function<Tensor(const std::vector<Tensor>&)>;

// torch.autograd.gradcheck's eps, atol, rtol and raise_exception, with its defaults.
struct GradcheckOptions {
  EMBER_ARG(double, eps) = 1e-6;
  EMBER_ARG(double, atol) = 1e-5;
  EMBER_ARG(double, rtol) = 1e-3;
  EMBER_ARG(bool, raise_exception) = true;
};

// Checks the Jacobian of fn at inputs. Inputs that require grad are checked (all floating
// inputs when none does); they must be float64, because central differences in float32 are
// too coarse to tell a right gradient from a wrong one. The others are passed as constants.
//
// Numerical: J[j, k] = (fn(x + eps e_k)_j - fn(x - eps e_k)_j) / (2 eps), one pair of forward
// passes per input element. Analytical: backward of one graph (retain_graph) with each unit
// output gradient e_j, or, for outputs of more than kUnitRowsLimit elements, with a few random
// output gradients v (comparing v^T J). Passes when |analytical - numerical| <= atol +
// rtol * |numerical| everywhere. Otherwise it throws an Error that names the worst element, or
// returns false with raise_exception(false).
// The caller's tensors are not modified (fn sees copies).
bool gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
               const GradcheckOptions& options = {});

}  // namespace ember
