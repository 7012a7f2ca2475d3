// softmax and log_softmax along one dim: forward kernels that subtract the maximum first (so
// exp never overflows) and their backward formulas, side by side.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ember/nn/functional.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/strided.h"

namespace ember::nn::functional {
namespace {

// A contiguous tensor seen as (outer, D, inner) around the softmax dim: element (o, d, i) sits at
// (o * D + d) * inner + i, so the D values of one softmax are `inner` apart.
struct Lanes {
  std::int64_t outer = 1, size = 1, inner = 1;
};

Lanes lanes_of(const Tensor& x, std::int64_t dim, const char* op) {
  check(x.defined(), op, ": expected a defined tensor");
  const std::int64_t d = detail::wrap_dim(dim, x.dim(), op);
  Lanes l;
  for (std::int64_t k = 0; k < x.dim(); ++k) {
    if (k < d) l.outer *= x.size(k);
    else if (k == d) l.size = x.size(k);
    else l.inner *= x.size(k);
  }
  return l;
}

// Calls fn(offset of the lane's first element, stride between its elements) for every lane.
template <class Fn>
void for_each_lane(const Lanes& l, Fn fn) {
#pragma omp parallel for collapse(2) if (l.outer * l.size * l.inner > detail::kParallelGrain)
  for (std::int64_t o = 0; o < l.outer; ++o) {
    for (std::int64_t i = 0; i < l.inner; ++i) fn(o * l.size * l.inner + i, l.inner);
  }
}

// y = softmax(x) or log_softmax(x) along the lanes; the sum of exponentials in double.
Tensor softmax_forward(const Tensor& x, const Lanes& l, bool log, const char* op) {
  Tensor y = empty(x.shape(), x.dtype());
  detail::dispatch_floating(x.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    const T* px = x.data_ptr<T>();
    T* py = y.data_ptr<T>();
    for_each_lane(l, [&](std::int64_t base, std::int64_t step) {
      T max = -std::numeric_limits<T>::infinity();
      for (std::int64_t d = 0; d < l.size; ++d) max = std::max(max, px[base + d * step]);
      if (std::isinf(max) && max < 0) max = 0;  // an all -inf lane: avoid inf - inf
      double sum = 0.0;
      for (std::int64_t d = 0; d < l.size; ++d) sum += std::exp(double(px[base + d * step] - max));
      const double log_sum = std::log(sum);
      for (std::int64_t d = 0; d < l.size; ++d) {
        const std::int64_t k = base + d * step;
        py[k] = log ? static_cast<T>(px[k] - max - log_sum)
                    : static_cast<T>(std::exp(double(px[k] - max)) / sum);
      }
    });
  });
  return y;
}

}  // namespace

Tensor softmax(const Tensor& input, std::int64_t dim) {
  const Lanes l = lanes_of(input, dim, "softmax");
  Tensor y = softmax_forward(input.contiguous(), l, /*log=*/false, "softmax");
  // y_i = e^x_i / sum_j e^x_j;  dy_i/dx_k = y_i (delta_ik - y_k), so
  //   dL/dx_k = y_k (g_k - sum_i g_i y_i).
  autograd::SavedTensor saved_y(y);
  return autograd::record(y, "SoftmaxBackward0", {input}, [saved_y, l](const Tensor& grad) {
    const Tensor g = grad.contiguous(), y = saved_y.get();
    Tensor dx = empty(y.shape(), g.dtype());
    detail::dispatch_floating(g.dtype(), "softmax backward", [&](auto zero) {
      using T = decltype(zero);
      const T *pg = g.data_ptr<T>(), *py = y.data_ptr<T>();
      T* pdx = dx.data_ptr<T>();
      for_each_lane(l, [&](std::int64_t base, std::int64_t step) {
        double dot = 0.0;
        for (std::int64_t d = 0; d < l.size; ++d) dot += pg[base + d * step] * py[base + d * step];
        for (std::int64_t d = 0; d < l.size; ++d) {
          const std::int64_t k = base + d * step;
          pdx[k] = static_cast<T>(py[k] * (pg[k] - dot));
        }
      });
    });
    return std::vector<Tensor>{dx};
  });
}

Tensor log_softmax(const Tensor& input, std::int64_t dim) {
  const Lanes l = lanes_of(input, dim, "log_softmax");
  Tensor y = softmax_forward(input.contiguous(), l, /*log=*/true, "log_softmax");
  // y_i = x_i - log sum_j e^x_j;  dy_i/dx_k = delta_ik - softmax_k = delta_ik - e^y_k, so
  //   dL/dx_k = g_k - e^y_k sum_i g_i.
  autograd::SavedTensor saved_y(y);
  return autograd::record(y, "LogSoftmaxBackward0", {input}, [saved_y, l](const Tensor& grad) {
    const Tensor g = grad.contiguous(), y = saved_y.get();
    Tensor dx = empty(y.shape(), g.dtype());
    detail::dispatch_floating(g.dtype(), "log_softmax backward", [&](auto zero) {
      using T = decltype(zero);
      const T *pg = g.data_ptr<T>(), *py = y.data_ptr<T>();
      T* pdx = dx.data_ptr<T>();
      for_each_lane(l, [&](std::int64_t base, std::int64_t step) {
        double sum = 0.0;
        for (std::int64_t d = 0; d < l.size; ++d) sum += pg[base + d * step];
        for (std::int64_t d = 0; d < l.size; ++d) {
          const std::int64_t k = base + d * step;
          pdx[k] = static_cast<T>(pg[k] - std::exp(double(py[k])) * sum);
        }
      });
    });
    return std::vector<Tensor>{dx};
  });
}

}  // namespace ember::nn::functional

namespace ember {
// The Tensor member forms (torch.Tensor.softmax, torch.Tensor.log_softmax).
Tensor Tensor::softmax(std::int64_t dim) const { return nn::functional::softmax(*this, dim); }
Tensor Tensor::log_softmax(std::int64_t dim) const {
  return nn::functional::log_softmax(*this, dim);
}
}  // namespace ember
