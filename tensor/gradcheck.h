// gradcheck: compares the gradients autograd computes with finite differences, as
// torch.autograd.gradcheck does: the check to run on a new op. Every op's test in ember uses it.
#pragma once

#include <functional>
#include <vector>

#include "ember/tensor/tensor.h"

namespace ember {

using GradcheckFn = std::function<Tensor(const std::vector<Tensor>&)>;

// torch.autograd.gradcheck's eps, atol, rtol and raise_exception, with its defaults.
struct GradcheckOptions {
  GradcheckOptions& eps(double value) { eps_ = value; return *this; }
  GradcheckOptions& atol(double value) { atol_ = value; return *this; }
  GradcheckOptions& rtol(double value) { rtol_ = value; return *this; }
  GradcheckOptions& raise_exception(bool value) { raise_exception_ = value; return *this; }
  double eps() const { return eps_; }
  double atol() const { return atol_; }
  double rtol() const { return rtol_; }
  bool raise_exception() const { return raise_exception_; }

 private:
  double eps_ = 1e-6;
  double atol_ = 1e-5;
  double rtol_ = 1e-3;
  bool raise_exception_ = true;
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
