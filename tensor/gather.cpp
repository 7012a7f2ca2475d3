// gather and scatter_add along one dim, each the other's backward (torch.gather,
// torch.scatter_add), with PyTorch's shape and bounds checks.
#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"
#include "ember/tensor/strided.h"

namespace ember {
namespace {

// A 0-d tensor counts as 1-d of size 1 in these checks, as PyTorch's ensure_nonempty_*.
std::int64_t rank_of(const Tensor& t) { return t.dim() == 0 ? 1 : t.dim(); }
std::int64_t size_at(const Tensor& t, std::int64_t d) { return t.dim() == 0 ? 1 : t.size(d); }

void check_index_dtype(const Tensor& index, const char* op) {
  check(index.numel() == 0 || index.dtype() == kInt64, op,
        "(): Expected dtype int64 for index");
}

// Strides of t in a rank-`rank` walk (a 0-d tensor walks as one element), with the stride of
// dim set to 0: the position along dim comes from the index instead.
Shape walk_strides(const Tensor& t, std::int64_t rank, std::int64_t dim, bool zero_dim) {
  Shape s = t.dim() == 0 ? Shape(static_cast<std::size_t>(rank), 0) : t.strides();
  if (zero_dim) s[static_cast<std::size_t>(dim)] = 0;
  return s;
}

// Calls fn(offset in `along` without dim, index value, offset in index, offset in other) for
// every element of index, after checking that the value is inside along's dim.
template <class Fn>
void walk_index(const Tensor& along, std::int64_t dim, const Tensor& index, const Tensor& other,
                Fn fn) {
  const std::int64_t rank = rank_of(index);
  const Shape shape = index.dim() == 0 ? Shape{1} : index.shape();
  const std::int64_t limit = size_at(along, dim);
  const std::int64_t* ip = index.data_ptr<std::int64_t>();
  detail::for_each_offset<3>(
      shape,
      {walk_strides(along, rank, dim, true), walk_strides(index, rank, dim, false),
       walk_strides(other, rank, dim, false)},
      [&](std::int64_t oa, std::int64_t oi, std::int64_t oo) {
        const std::int64_t j = ip[oi];
        check(j >= 0 && j < limit, "index ", j, " is out of bounds for dimension ", dim,
              " with size ", limit);
        fn(oa, j, oo);
      });
}

}  // namespace

// out[..., j, ...] = x[..., index[..., j, ...], ...] along dim.
// Backward: each x element receives the gradients of every output that read it, so
// dx = scatter_add(zeros_like(x), dim, index, grad).
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index) {
  const std::int64_t d = detail::wrap_dim(dim, x.dim(), "gather");
  check_index_dtype(index, "gather");
  check(rank_of(x) == rank_of(index),
        "Index tensor must have the same number of dimensions as input tensor");
  for (std::int64_t i = 0; i < rank_of(x); ++i) {
    check(i == d || size_at(index, i) <= size_at(x, i), "Size does not match at dimension ", i,
          " expected index ", detail::int_list_str(index.shape()), " to be smaller than self ",
          detail::int_list_str(x.shape()), " apart from dimension ", d);
  }
  Tensor out = detail::new_tensor(index.shape(), x.dtype());
  detail::dispatch_compute(x.dtype(), "gather", [&](auto zero) {
    using T = decltype(zero);
    const T* px = x.data_ptr<T>();
    T* po = out.data_ptr<T>();
    const std::int64_t step = x.dim() == 0 ? 0 : x.stride(d);
    walk_index(x, d, index, out, [&](std::int64_t ox, std::int64_t j, std::int64_t oo) {
      po[oo] = px[ox + j * step];
    });
  });
  const Shape in_shape = x.shape();
  autograd::SavedTensor saved_index(index);
  return autograd::record(out, "GatherBackward0", {x}, [in_shape, d, saved_index](const Tensor& g) {
    return std::vector<Tensor>{scatter_add(zeros(in_shape, g.dtype()), d, saved_index.get(), g)};
  });
}

// out = self; out[..., index[..., j, ...], ...] += src[..., j, ...] along dim.
// Backward: d out / d self = 1, so dself = grad; each src element was added to one output
// element, so dsrc = gather(grad, dim, index).
Tensor scatter_add(const Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src) {
  const std::int64_t d = detail::wrap_dim(dim, self.dim(), "scatter_add");
  check_index_dtype(index, "scatter_add");
  check(self.dtype() == src.dtype(), "scatter_add(): Expected self.dtype to be equal to src.dtype");
  Tensor out = self.detach().clone();
  const bool work = index.numel() > 0;  // PyTorch skips the shape checks for an empty index
  check(!work || rank_of(self) == rank_of(index),
        "Index tensor must have the same number of dimensions as self tensor");
  check(!work || rank_of(src) == rank_of(index),
        "Index tensor must have the same number of dimensions as src tensor");
  for (std::int64_t i = 0; work && i < rank_of(self); ++i) {
    check((i == d || size_at(index, i) <= size_at(self, i)) && size_at(index, i) <= size_at(src, i),
          "Expected index ", detail::int_list_str(index.shape()), " to be smaller than self ",
          detail::int_list_str(self.shape()), " apart from dimension ", d, " and to be smaller size than src ",
          detail::int_list_str(src.shape()));
  }
  if (work) detail::dispatch_compute(out.dtype(), "scatter_add", [&](auto zero) {
    using T = decltype(zero);
    T* po = out.data_ptr<T>();
    const T* ps = src.data_ptr<T>();
    const std::int64_t step = out.dim() == 0 ? 0 : out.stride(d);
    walk_index(out, d, index, src, [&](std::int64_t oo, std::int64_t j, std::int64_t os) {
      po[oo + j * step] += ps[os];
    });
  });
  const bool need_src = src.requires_grad();
  const Shape src_shape = src.shape();
  autograd::SavedTensor saved_index(index);
  return autograd::record(out, "ScatterAddBackward0", {self, src},
                          [d, saved_index, need_src, src_shape](const Tensor& g) {
    if (!need_src) return std::vector<Tensor>{g, Tensor()};
    // Only src's leading block of index's shape was read; the rest gets zero gradient.
    const Tensor index_now = saved_index.get();
    Tensor gsrc = zeros(src_shape, g.dtype());
    Tensor block = gsrc;
    for (std::int64_t i = 0; i < index_now.dim(); ++i) block = block.narrow(i, 0, index_now.size(i));
    if (index_now.numel() > 0) block.copy_(gather(g, d, index_now));
    return std::vector<Tensor>{g, gsrc};
  });
}

Tensor Tensor::gather(std::int64_t dim, const Tensor& index) const {
  return ember::gather(*this, dim, index);
}

}  // namespace ember
