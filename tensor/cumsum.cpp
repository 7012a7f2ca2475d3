// cumsum along one dim (torch.cumsum): the running sum, and its backward, the running sum
// taken from the other end.
#include <type_traits>

#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/ops.h"
#include "ember/tensor/strided.h"

namespace ember {
namespace {

// x contiguous, seen as lanes around dim: y[o, r, i] = sum_{s <= r} x[o, s, i], or, with
// reverse, sum_{s >= r}. The running sum is kept in double for floats, as PyTorch's CPU
// kernel keeps it in its accumulate type, and rounded to T at every step.
Tensor running_sum(const Tensor& x, std::int64_t dim, bool reverse) {
  const Tensor in = x.contiguous();
  const detail::Lanes l = detail::lanes_around(in.shape(), dim);
  Tensor out = detail::new_tensor(in.shape(), in.dtype());
  detail::dispatch_compute(in.dtype(), "cumsum", [&](auto zero) {
    using T = decltype(zero);
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;
    const T* px = in.data_ptr<T>();
    T* po = out.data_ptr<T>();
#pragma omp parallel for collapse(2) if (l.outer * l.n * l.inner >= detail::kParallelGrain)
    for (std::int64_t o = 0; o < l.outer; ++o) {
      for (std::int64_t i = 0; i < l.inner; ++i) {
        Acc acc = 0;
        for (std::int64_t s = 0; s < l.n; ++s) {
          const std::int64_t r = reverse ? l.n - 1 - s : s;
          const std::int64_t at = (o * l.n + r) * l.inner + i;
          acc += static_cast<Acc>(px[at]);
          po[at] = static_cast<T>(acc);
        }
      }
    }
  });
  return out;
}

}  // namespace

// y_r = sum_{s <= r} x_s along dim; dy_r / dx_s = 1 for s <= r, so
// dx_s = sum_{r >= s} grad_r: the cumulative sum of grad from the end.
Tensor cumsum(const Tensor& x, std::int64_t dim) {
  const std::int64_t d = detail::wrap_dim(dim, x.dim(), "cumsum");
  // bool and the narrow integer types accumulate in int64, as in PyTorch.
  const Tensor input = is_floating_point(x.dtype()) ? x.detach() : x.detach().to(kInt64);
  Tensor y = running_sum(input, d, /*reverse=*/false);
  return autograd::record(y, "CumsumBackward0", {x}, [d](const Tensor& grad) {
    return std::vector<Tensor>{running_sum(grad, d, /*reverse=*/true)};
  });
}

Tensor Tensor::cumsum(std::int64_t dim) const { return ember::cumsum(*this, dim); }

}  // namespace ember
