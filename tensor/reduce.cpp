// Reductions: sum, mean, max and argmax over all elements or over dims, and sum_to (the
// backward of broadcasting). Semantics follow torch.sum, torch.mean, torch.max, torch.argmax.
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"
#include "ember/tensor/strided.h"

namespace ember {
namespace {

// ---- which dims a reduction removes ------------------------------------------------------------

// One flag per dim of x: true where the reduction sums it away. An empty dims list means every
// dim, as torch.sum(x, dim=[]) does.
std::vector<bool> reduced_dims(const Tensor& x, const Shape& dims, const char* op) {
  const std::int64_t nd = x.dim();
  std::vector<bool> reduced(static_cast<std::size_t>(nd), dims.empty());
  for (std::int64_t d : dims) {
    const std::int64_t k = detail::wrap_dim(d, nd, op);
    if (nd == 0) continue;  // dim 0 / -1 of a 0-d tensor is the tensor itself
    check(!reduced[static_cast<std::size_t>(k)], op, ": dim ", k,
          " appears multiple times in the list of dims");
    reduced[static_cast<std::size_t>(k)] = true;
  }
  return reduced;
}

// x's shape with the reduced dims set to 1 (keepdim=true), or removed (keepdim=false).
Shape reduced_shape(const Shape& shape, const std::vector<bool>& reduced, bool keepdim) {
  Shape out;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (!reduced[i]) out.push_back(shape[i]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

// The backward of every sum-like reduction: the gradient of each output element goes, unchanged,
// to every input element that was summed into it. grad has the output's shape; the result is a
// broadcast view of the input's shape (stride 0 on the reduced dims, no copy).
Tensor expand_reduced_grad(const Tensor& grad, const Shape& input_shape,
                           const std::vector<bool>& reduced) {
  return grad.reshape(reduced_shape(input_shape, reduced, /*keepdim=*/true)).expand(input_shape);
}

// ---- the summing kernel -------------------------------------------------------------------------

// A run of adjacent dims that are all reduced or all kept, merged into one (a contiguous tensor
// lets us do that). Summing (N, C) over N is then [{N, reduced}, {C, kept}].
struct Run {
  std::int64_t size;
  bool reduced;
  std::int64_t in_stride;   // elements between consecutive indices of the run, in the input
  std::int64_t out_stride;  // the same in the output; 0 for a reduced run
};

std::vector<Run> merge_runs(const Shape& shape, const std::vector<bool>& reduced) {
  std::vector<Run> runs;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;  // a size-1 dim changes no offset
    if (!runs.empty() && runs.back().reduced == reduced[i]) runs.back().size *= shape[i];
    else runs.push_back({shape[i], reduced[i], 0, 0});
  }
  if (runs.empty()) runs.push_back({1, true, 0, 0});  // a single element
  std::int64_t in_stride = 1, out_stride = 1;
  for (auto run = runs.rbegin(); run != runs.rend(); ++run) {
    run->in_stride = in_stride;
    run->out_stride = run->reduced ? 0 : out_stride;
    in_stride *= run->size;
    if (!run->reduced) out_stride *= run->size;
  }
  return runs;
}

// out[...] += in[...] over runs[0..count), where the last run is contiguous in both (or reduced).
// Acc is double for float32/float64 (one rounding at the end, more accurate than PyTorch's
// float cascade) and int64 for integers.
template <class T, class Acc>
void accumulate(const Run* runs, std::size_t count, const T* in, Acc* out) {
  if (count == 1) {
    const Run& r = runs[0];
    if (r.reduced) {
      Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>> row(in, r.size);
      *out += row.template cast<Acc>().sum();
    } else {
      for (std::int64_t j = 0; j < r.size; ++j) out[j] += static_cast<Acc>(in[j]);
    }
    return;
  }
  for (std::int64_t i = 0; i < runs[0].size; ++i) {
    accumulate(runs + 1, count - 1, in + i * runs[0].in_stride, out + i * runs[0].out_stride);
  }
}

// Sums a contiguous tensor of shape `shape` into acc (one slot per output element, zeroed).
// Work splits over independent output slices only, in a fixed order, so the result does not
// depend on the number of threads.
template <class T, class Acc>
void sum_kernel(const T* in, const Shape& shape, const std::vector<bool>& reduced, Acc* acc) {
  const std::vector<Run> runs = merge_runs(shape, reduced);
  const std::int64_t numel = numel_of(shape);
  if (runs.size() == 1 && runs[0].reduced) {
    // Everything into one value: fixed-size chunks summed in parallel, then added in order.
    constexpr std::int64_t kChunk = detail::kParallelGrain;
    const std::int64_t chunks = (numel + kChunk - 1) / kChunk;
    std::vector<Acc> partial(static_cast<std::size_t>(std::max<std::int64_t>(chunks, 1)), Acc(0));
#pragma omp parallel for if (chunks > 1)
    for (std::int64_t c = 0; c < chunks; ++c) {
      const Run chunk{std::min(kChunk, numel - c * kChunk), true, 1, 0};
      accumulate(&chunk, 1, in + c * kChunk, &partial[static_cast<std::size_t>(c)]);
    }
    for (Acc p : partial) *acc += p;
    return;
  }
  if (runs.size() > 1 && !runs[0].reduced && numel >= detail::kParallelGrain) {
    // The first run is kept: each of its indices owns a disjoint slice of the output.
#pragma omp parallel for
    for (std::int64_t i = 0; i < runs[0].size; ++i) {
      accumulate(runs.data() + 1, runs.size() - 1, in + i * runs[0].in_stride,
                 acc + i * runs[0].out_stride);
    }
    return;
  }
  accumulate(runs.data(), runs.size(), in, acc);
}

// Sum (divide_by = 1) or mean (divide_by = count) of x over the reduced dims, no autograd.
Tensor sum_forward(const Tensor& x, const std::vector<bool>& reduced, bool keepdim,
                   double divide_by, const char* op) {
  // bool and the narrow integer types sum to int64, as in PyTorch.
  const Tensor input = is_floating_point(x.dtype()) ? x.detach() : x.detach().to(kInt64);
  const Tensor in = input.contiguous();
  Tensor out = detail::new_tensor(reduced_shape(x.shape(), reduced, keepdim), in.dtype());
  detail::dispatch_compute(in.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;
    std::vector<Acc> acc(static_cast<std::size_t>(out.numel()), Acc(0));
    sum_kernel<T, Acc>(in.data_ptr<T>(), in.shape(), reduced, acc.data());
    T* o = out.data_ptr<T>();
    for (std::size_t i = 0; i < acc.size(); ++i) {
      o[i] = static_cast<T>(divide_by == 1.0 ? acc[i] : static_cast<Acc>(acc[i] / divide_by));
    }
  });
  return out;
}

// ---- max and argmax over one dim -----------------------------------------------------------------

template <class T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(v);
  else return false;
}

// x viewed as (outer, n, inner) around dim: values[o, i] = max_r x[o, r, i], indices its r.
// NaN wins, as in PyTorch; among equal values the first index wins.
template <class T>
void max_kernel(const T* x, std::int64_t outer, std::int64_t n, std::int64_t inner, T* values,
                std::int64_t* indices) {
#pragma omp parallel for if (outer * n * inner >= detail::kParallelGrain && outer > 1)
  for (std::int64_t o = 0; o < outer; ++o) {
    const T* block = x + o * n * inner;
    T* best = values + o * inner;
    std::int64_t* arg = indices + o * inner;
    for (std::int64_t i = 0; i < inner; ++i) {
      best[i] = block[i];
      arg[i] = 0;
    }
    for (std::int64_t r = 1; r < n; ++r) {
      const T* row = block + r * inner;
      for (std::int64_t i = 0; i < inner; ++i) {
        if (row[i] > best[i] || (is_nan(row[i]) && !is_nan(best[i]))) {
          best[i] = row[i];
          arg[i] = r;
        }
      }
    }
  }
}

struct OuterInner {
  std::int64_t outer = 1, n = 1, inner = 1;
};

OuterInner split_at(const Shape& shape, std::int64_t dim) {
  OuterInner s;
  if (shape.empty()) return s;
  for (std::int64_t i = 0; i < dim; ++i) s.outer *= shape[static_cast<std::size_t>(i)];
  s.n = shape[static_cast<std::size_t>(dim)];
  for (std::size_t i = static_cast<std::size_t>(dim) + 1; i < shape.size(); ++i) s.inner *= shape[i];
  return s;
}

// (values, indices) without autograd.
std::pair<Tensor, Tensor> max_forward(const Tensor& x, std::int64_t dim, bool keepdim,
                                      const char* op) {
  const std::int64_t k = detail::wrap_dim(dim, x.dim(), op);
  const Tensor in = x.detach().contiguous();
  const OuterInner s = split_at(in.shape(), k);
  check(s.n > 0, op, ": expected a non-empty dimension to reduce, found dimension ", k,
        " of size 0 in a tensor of shape ", x.shape());
  std::vector<bool> reduced(static_cast<std::size_t>(x.dim()), false);
  if (x.dim() > 0) reduced[static_cast<std::size_t>(k)] = true;
  const Shape out_shape = reduced_shape(x.shape(), reduced, keepdim);
  Tensor values = detail::new_tensor(out_shape, in.dtype());
  Tensor indices = detail::new_tensor(out_shape, kInt64);
  detail::dispatch_compute(in.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    max_kernel<T>(in.data_ptr<T>(), s.outer, s.n, s.inner, values.data_ptr<T>(),
                  indices.data_ptr<std::int64_t>());
  });
  return {values, indices};
}

}  // namespace

// ---- sum ------------------------------------------------------------------------------------------

// y = sum_i x_i; dy/dx_i = 1, so every input element gets the (scalar) output gradient.
Tensor sum(const Tensor& x) {
  const std::vector<bool> reduced(static_cast<std::size_t>(x.dim()), true);
  Tensor y = sum_forward(x, reduced, /*keepdim=*/false, 1.0, "sum");
  const Shape in_shape = x.shape();
  return autograd::record(y, "SumBackward0", {x}, [in_shape, reduced](const Tensor& grad) {
    return std::vector<Tensor>{expand_reduced_grad(grad, in_shape, reduced)};
  });
}

// y[kept] = sum over the reduced dims of x; dy/dx = 1 along them.
Tensor sum(const Tensor& x, const Shape& dims, bool keepdim) {
  const std::vector<bool> reduced = reduced_dims(x, dims, "sum");
  Tensor y = sum_forward(x, reduced, keepdim, 1.0, "sum");
  const Shape in_shape = x.shape();
  return autograd::record(y, "SumBackward1", {x}, [in_shape, reduced](const Tensor& grad) {
    return std::vector<Tensor>{expand_reduced_grad(grad, in_shape, reduced)};
  });
}

// ---- mean -----------------------------------------------------------------------------------------

namespace {
Tensor mean_impl(const Tensor& x, const std::vector<bool>& reduced, bool keepdim,
                 const char* grad_fn_name) {
  check(is_floating_point(x.dtype()), "mean: could not infer output dtype. Input dtype must be "
        "either a floating point or complex dtype. Got: ", dtype_name(x.dtype()));
  std::int64_t count = 1;
  for (std::size_t i = 0; i < reduced.size(); ++i) {
    if (reduced[i]) count *= x.shape()[i];
  }
  // PyTorch's mean of nothing is nan (0 / 0).
  Tensor y = sum_forward(x, reduced, keepdim, static_cast<double>(count), "mean");
  const Shape in_shape = x.shape();
  return autograd::record(y, grad_fn_name, {x}, [in_shape, reduced, count](const Tensor& grad) {
    // y = sum(x) / count; dy/dx = 1 / count.
    return std::vector<Tensor>{expand_reduced_grad(grad / static_cast<double>(count), in_shape,
                                                   reduced)};
  });
}
}  // namespace

Tensor mean(const Tensor& x) {
  return mean_impl(x, std::vector<bool>(static_cast<std::size_t>(x.dim()), true), false,
                   "MeanBackward0");
}

Tensor mean(const Tensor& x, const Shape& dims, bool keepdim) {
  return mean_impl(x, reduced_dims(x, dims, "mean"), keepdim, "MeanBackward1");
}

// ---- max and argmax ---------------------------------------------------------------------------------

// values = max over dim; the gradient flows only to the element that was picked:
// dx[o, indices[o, i], i] = grad[o, i], zero elsewhere.
std::pair<Tensor, Tensor> max(const Tensor& x, std::int64_t dim, bool keepdim) {
  auto [values, indices] = max_forward(x, dim, keepdim, "max");
  const Shape in_shape = x.shape();
  const std::int64_t k = detail::wrap_dim(dim, x.dim(), "max");
  autograd::SavedTensor saved_indices(indices);
  autograd::record(values, "MaxBackward0", {x}, [in_shape, k, saved_indices](const Tensor& grad) {
    const Tensor idx = saved_indices.get();
    const Tensor g = grad.contiguous();
    const OuterInner s = split_at(in_shape, k);
    Tensor dx = zeros(in_shape, g.dtype());
    detail::dispatch_floating(g.dtype(), "max backward", [&](auto zero) {
      using T = decltype(zero);
      const T* gp = g.data_ptr<T>();
      const std::int64_t* ip = idx.data_ptr<std::int64_t>();
      T* out = dx.data_ptr<T>();
      for (std::int64_t o = 0; o < s.outer; ++o) {
        for (std::int64_t i = 0; i < s.inner; ++i) {
          const std::int64_t j = o * s.inner + i;
          out[(o * s.n + ip[j]) * s.inner + i] = gp[j];
        }
      }
    });
    return std::vector<Tensor>{dx};
  });
  return {values, indices};
}

Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim) {
  return max_forward(x, dim, keepdim, "argmax").second;
}

// y = max over all elements. Where several elements tie for the maximum, PyTorch splits the
// gradient evenly between them (evenly_distribute_backward): dx = grad / count on each.
Tensor max(const Tensor& x) {
  check(x.numel() > 0, "max: expected a non-empty tensor (or specify the reduction dim), found "
        "shape ", x.shape());
  const Tensor flat = x.detach().reshape({-1});
  Tensor y = max_forward(flat, 0, /*keepdim=*/false, "max").first;  // 0-d
  autograd::SavedTensor saved_x(x);
  const double top = y.item();
  return autograd::record(y, "MaxBackward1", {x}, [saved_x, top](const Tensor& grad) {
    const Tensor in = saved_x.get().contiguous();
    Tensor dx = zeros(in.shape(), in.dtype());
    detail::dispatch_floating(in.dtype(), "max backward", [&](auto zero) {
      using T = decltype(zero);
      const T* xp = in.data_ptr<T>();
      T* out = dx.data_ptr<T>();
      const std::int64_t n = in.numel();
      auto is_top = [&](T v) { return std::isnan(top) ? std::isnan(v) : v == static_cast<T>(top); };
      std::int64_t count = 0;
      for (std::int64_t i = 0; i < n; ++i) count += is_top(xp[i]) ? 1 : 0;
      const T share = static_cast<T>(grad.item() / static_cast<double>(count));
      for (std::int64_t i = 0; i < n; ++i) out[i] = is_top(xp[i]) ? share : T(0);
    });
    return std::vector<Tensor>{dx};
  });
}

// ---- sum_to: the backward of broadcasting -------------------------------------------------------

// Sums x over the dims that broadcasting added (leading ones) or stretched (size 1 in shape).
Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const std::size_t nd = x.shape().size();
  check(shape.size() <= nd, "sum_to: cannot sum a tensor of shape ", x.shape(),
        " to the larger shape ", shape);
  const std::size_t lead = nd - shape.size();
  Shape dims;
  for (std::size_t i = 0; i < nd; ++i) {
    if (i < lead) {
      dims.push_back(static_cast<std::int64_t>(i));
      continue;
    }
    const std::int64_t want = shape[i - lead];
    check(want == x.shape()[i] || want == 1, "sum_to: shape ", shape,
          " is not broadcastable to ", x.shape());
    if (want == 1 && x.shape()[i] != 1) dims.push_back(static_cast<std::int64_t>(i));
  }
  if (dims.empty()) return x.reshape(shape);
  return sum(x, dims, /*keepdim=*/true).reshape(shape);
}

// ---- the Tensor member forms ---------------------------------------------------------------------
Tensor Tensor::sum() const { return ember::sum(*this); }
Tensor Tensor::sum(const Shape& dims, bool keepdim) const { return ember::sum(*this, dims, keepdim); }
Tensor Tensor::mean() const { return ember::mean(*this); }
Tensor Tensor::mean(const Shape& dims, bool keepdim) const {
  return ember::mean(*this, dims, keepdim);
}
std::pair<Tensor, Tensor> Tensor::max(std::int64_t dim, bool keepdim) const {
  return ember::max(*this, dim, keepdim);
}
Tensor Tensor::max() const { return ember::max(*this); }
Tensor Tensor::argmax(std::int64_t dim, bool keepdim) const {
  return ember::argmax(*this, dim, keepdim);
}

}  // namespace ember
