// var and std over dims (torch.var, torch.std), with PyTorch's correction and keepdim.
#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"
#include "ember/tensor/strided.h"

namespace ember {

// var = sum((x - mean)^2) / max(0, N - correction), with N the number of elements reduced.
// Built from mean, sub, mul and sum, so autograd gives the derivative
// d var / dx_i = 2 (x_i - mean) / (N - correction) (the mean's own term sums to zero).
// Subtracting the mean first (two passes) keeps the result accurate when |mean| >> std.
Tensor var(const Tensor& x, const Shape& dims, const VarOptions& options) {
  check(x.defined() && is_floating_point(x.dtype()),
        "var: expected a floating point tensor, found ", x.defined() ? dtype_name(x.dtype()) : "an undefined tensor");
  std::int64_t count = 1;
  if (dims.empty()) {
    count = x.numel();
  } else {
    std::vector<bool> seen(static_cast<std::size_t>(std::max<std::int64_t>(x.dim(), 1)), false);
    for (std::int64_t d : dims) {
      const std::int64_t k = detail::wrap_dim(d, x.dim(), "var");
      check(!seen[static_cast<std::size_t>(k)], "var: dim ", k,
            " appears multiple times in the list of dims");
      seen[static_cast<std::size_t>(k)] = true;
      if (x.dim() > 0) count *= x.size(k);
    }
  }
  const Tensor centred = x - mean(x, dims, /*keepdim=*/true);
  const Tensor squares = sum(centred * centred, dims, options.keepdim());
  // 0 / 0 is nan when nothing is left to divide by, as in PyTorch.
  return squares / std::max(0.0, static_cast<double>(count) - options.correction());
}

// std = sqrt(var). d std / d var = 1 / (2 std), which PyTorch sets to 0 where std is 0 (a
// constant input), so that the gradient there is 0 rather than inf * 0 = nan.
Tensor std(const Tensor& x, const Shape& dims, const VarOptions& options) {
  const Tensor v = var(x, dims, options);
  Tensor y;
  {
    NoGradGuard no_grad;
    y = sqrt(v);
  }
  autograd::SavedTensor saved_y(y);
  return autograd::record(y, "StdBackward0", {v}, [saved_y](const Tensor& grad) {
    const Tensor s = saved_y.get();
    const Tensor zero = zeros_like(s);
    return std::vector<Tensor>{where(eq(s, zero), zero, grad / (s * 2.0))};
  });
}

Tensor Tensor::var(const Shape& dims) const { return ember::var(*this, dims); }
Tensor Tensor::var(const Shape& dims, const VarOptions& options) const {
  return ember::var(*this, dims, options);
}
Tensor Tensor::std(const Shape& dims) const { return ember::std(*this, dims); }
Tensor Tensor::std(const Shape& dims, const VarOptions& options) const {
  return ember::std(*this, dims, options);
}

}  // namespace ember
