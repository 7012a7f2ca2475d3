// sort and topk along one dim: a stable sort of each lane's indices, and the backward that
// sends each output gradient back to the position its value came from.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <type_traits>

#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"
#include "ember/tensor/strided.h"

namespace ember {
namespace {

template <class T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(v);
  else return false;
}

// PyTorch's order: NaN compares above every number (so it ends an ascending sort and starts a
// descending one), and two NaNs are equal.
template <class T>
bool before(T a, T b, bool descending) {
  if (descending) return (is_nan(a) && !is_nan(b)) || a > b;
  return (!is_nan(a) && is_nan(b)) || a < b;
}

// x (contiguous) as lanes around dim; writes the first k of each lane's sorted order into
// values and indices, which have x's shape with size k at dim.
template <class T>
void sort_lanes(const T* x, const detail::Lanes& l, std::int64_t k, bool descending, T* values,
                std::int64_t* indices) {
#pragma omp parallel for collapse(2) if (l.outer * l.n * l.inner >= detail::kParallelGrain)
  for (std::int64_t o = 0; o < l.outer; ++o) {
    for (std::int64_t i = 0; i < l.inner; ++i) {
      const T* lane = x + o * l.n * l.inner + i;
      std::vector<std::int64_t> order(static_cast<std::size_t>(l.n));
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
        return before(lane[a * l.inner], lane[b * l.inner], descending);
      });
      for (std::int64_t r = 0; r < k; ++r) {
        const std::int64_t out = (o * k + r) * l.inner + i;
        values[out] = lane[order[static_cast<std::size_t>(r)] * l.inner];
        indices[out] = order[static_cast<std::size_t>(r)];
      }
    }
  }
}

// The first k of the sorted lanes, with the backward both ops share: values = x gathered at
// indices along dim, so dx = zeros scattered-added with grad at those indices.
std::pair<Tensor, Tensor> sorted_prefix(const Tensor& x, std::int64_t dim, std::int64_t k,
                                        bool descending, const char* op, const char* grad_fn) {
  const std::int64_t d = detail::wrap_dim(dim, x.dim(), op);
  const Tensor in = x.detach().contiguous();
  const detail::Lanes l = detail::lanes_around(in.shape(), d);
  Shape out_shape = x.shape();
  if (x.dim() > 0) out_shape[static_cast<std::size_t>(d)] = k;
  Tensor values = detail::new_tensor(out_shape, in.dtype());
  Tensor indices = detail::new_tensor(out_shape, kInt64);
  detail::dispatch_compute(in.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    sort_lanes<T>(in.data_ptr<T>(), l, k, descending, values.data_ptr<T>(),
                  indices.data_ptr<std::int64_t>());
  });
  const Shape in_shape = x.shape();
  autograd::SavedTensor saved_indices(indices);
  autograd::record(values, grad_fn, {x}, [in_shape, d, saved_indices](const Tensor& grad) {
    const Tensor idx = saved_indices.get();
    // A 0-d input has a 0-d index; scatter_add wants them of one rank, which they are.
    return std::vector<Tensor>{scatter_add(zeros(in_shape, grad.dtype()), d, idx, grad)};
  });
  return {values, indices};
}

}  // namespace

// y = x permuted along dim; dy/dx routes each gradient back to its source index.
std::pair<Tensor, Tensor> sort(const Tensor& x, std::int64_t dim, bool descending) {
  const std::int64_t d = detail::wrap_dim(dim, x.dim(), "sort");
  const std::int64_t n = x.dim() == 0 ? 1 : x.size(d);
  return sorted_prefix(x, dim, n, descending, "sort", "SortBackward0");
}

// The first k of a descending (largest) or ascending sort, with sort's backward.
std::pair<Tensor, Tensor> topk(const Tensor& x, std::int64_t k, std::int64_t dim, bool largest,
                               bool /*sorted*/) {
  const std::int64_t d = detail::wrap_dim(dim, x.dim(), "topk");
  const std::int64_t n = x.dim() == 0 ? 1 : x.size(d);
  check(k >= 0 && k <= n, "selected index k out of range");
  return sorted_prefix(x, dim, k, largest, "topk", "TopkBackward0");
}

std::pair<Tensor, Tensor> Tensor::sort(std::int64_t dim, bool descending) const {
  return ember::sort(*this, dim, descending);
}
std::pair<Tensor, Tensor> Tensor::topk(std::int64_t k, std::int64_t dim, bool largest,
                                       bool sorted) const {
  return ember::topk(*this, k, dim, largest, sorted);
}

}  // namespace ember
