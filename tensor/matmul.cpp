// Matrix products as torch.matmul: 1-D (dot), 2-D, and batched with broadcasting over the
// leading dims. Every product is one GEMM (tensor/gemm.h) that reads both operands in place
// through their strides, so transposed and broadcast operands are never copied.
#include <algorithm>

#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/gemm.h"
#include "ember/tensor/ops.h"
#include "ember/tensor/strided.h"

namespace ember {
namespace {

// ---- the product itself (no autograd) ---------------------------------------------------------

// a (..., n, k) @ b (..., k, m) -> (broadcast(...), n, m), both at least 2-D and checked.
Tensor matmul_nd(const Tensor& a, const Tensor& b) {
  const std::int64_t n = a.size(-2), k = a.size(-1), m = b.size(-1);
  // (B..., n, k) @ (k, m) with a contiguous is one GEMM on (B*n, k): the nn.Linear case.
  if (a.dim() > 2 && b.dim() == 2 && a.is_contiguous()) {
    Shape out_shape = a.shape();
    out_shape.back() = m;
    return matmul_nd(a.view({-1, k}), b).view(out_shape);
  }
  const Shape batch_a(a.shape().begin(), a.shape().end() - 2);
  const Shape batch_b(b.shape().begin(), b.shape().end() - 2);
  const Shape batch = detail::broadcast_shapes(batch_a, batch_b, "matmul");
  Shape out_shape = batch;
  out_shape.push_back(n);
  out_shape.push_back(m);
  Tensor out = detail::new_tensor(out_shape, a.dtype());

  // Storage offsets of every batch's matrix in a and b (0 stride on broadcast batch dims).
  const Shape strides_a = detail::broadcast_strides(
      batch_a, Shape(a.strides().begin(), a.strides().end() - 2), batch);
  const Shape strides_b = detail::broadcast_strides(
      batch_b, Shape(b.strides().begin(), b.strides().end() - 2), batch);
  std::vector<std::int64_t> offsets_a, offsets_b;
  detail::for_each_offset<2>(batch, {strides_a, strides_b}, [&](std::int64_t oa, std::int64_t ob) {
    offsets_a.push_back(oa);
    offsets_b.push_back(ob);
  });
  const auto count = static_cast<std::int64_t>(offsets_a.size());

  detail::dispatch_floating(a.dtype(), "matmul", [&](auto zero) {
    using T = decltype(zero);
    const T* pa = a.data_ptr<T>();
    const T* pb = b.data_ptr<T>();
    T* pc = out.data_ptr<T>();
    auto product = [&](std::int64_t i) {
      const detail::MatrixView<T> ai{pa + offsets_a[i], a.stride(-2), a.stride(-1)};
      const detail::MatrixView<T> bi{pb + offsets_b[i], b.stride(-2), b.stride(-1)};
      detail::gemm<T>(n, m, k, ai, bi, pc + i * n * m, m, /*accumulate=*/false);
    };
    if (count > 1 && n * k * m < 64 * 64 * 64) {
      // Many small products: one per thread (the GEMM runs single-threaded inside a parallel
      // region).
#pragma omp parallel for
      for (std::int64_t i = 0; i < count; ++i) product(i);
    } else {
      // Few large ones: one after another, each with the GEMM's own threads. (Not inside an
      // inactive `omp parallel if(false)`: the GEMM's team would then be a nested one, whose
      // threads libgomp creates afresh on every call.)
      for (std::int64_t i = 0; i < count; ++i) product(i);
    }
  });
  return out;
}

Tensor transpose_last(const Tensor& t) { return t.transpose(-1, -2); }

const char* grad_fn_name(std::int64_t dim_a, std::int64_t dim_b) {
  if (dim_a == 1 && dim_b == 1) return "DotBackward0";
  if (dim_a == 2 && dim_b == 1) return "MvBackward0";
  if (dim_a <= 2 && dim_b == 2) return "MmBackward0";
  return "BmmBackward0";
}

}  // namespace

// out = a @ b. 1-D operands are promoted to a row (a) or a column (b) and the added dim is
// removed from the result, as torch.matmul does.
Tensor matmul(const Tensor& a, const Tensor& b) {
  check(a.dim() >= 1 && b.dim() >= 1, "matmul: both arguments need to be at least 1-D, found ",
        a.dim(), "-D and ", b.dim(), "-D");
  check(a.dtype() == b.dtype(), "matmul: expected both tensors to have the same dtype, found ",
        dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
  const std::int64_t k_a = a.size(-1), k_b = b.dim() == 1 ? b.size(0) : b.size(-2);
  check(k_a == k_b, "matmul: shapes ", a.shape(), " and ", b.shape(),
        " cannot be multiplied (", k_a, " != ", k_b, ")");

  // Work on (..., n, k) @ (..., k, m); a2 and b2 are views, never copies.
  const Tensor a2 = a.dim() == 1 ? a.detach().unsqueeze(0) : a.detach();
  const Tensor b2 = b.dim() == 1 ? b.detach().unsqueeze(1) : b.detach();
  Tensor out2 = matmul_nd(a2, b2);
  Shape out_shape = out2.shape();
  if (b.dim() == 1) out_shape.erase(out_shape.end() - 1);
  if (a.dim() == 1) out_shape.erase(out_shape.end() - (b.dim() == 1 ? 1 : 2));
  Tensor out = out2.view(out_shape);

  // out = a @ b; d(out)/da = grad @ b^T, d(out)/db = a^T @ grad, each summed over the batch
  // dims its operand was broadcast along. Transposes are views the GEMM reads in place.
  const bool a_needs = a.requires_grad(), b_needs = b.requires_grad();
  autograd::SavedTensor saved_a(a2), saved_b(b2);
  const Shape a_shape = a.shape(), b_shape = b.shape(), out2_shape = out2.shape();
  return autograd::record(
      out, grad_fn_name(a.dim(), b.dim()), {a, b},
      [saved_a, saved_b, a_needs, b_needs, a_shape, b_shape, out2_shape](const Tensor& grad) {
        const Tensor g = grad.reshape(out2_shape);  // (..., n, m)
        const Tensor a2 = saved_a.get(), b2 = saved_b.get();
        Tensor grad_a, grad_b;
        if (a_needs) {
          const Tensor full = matmul_nd(g, transpose_last(b2));  // (..., n, k)
          grad_a = sum_to(full, a2.shape()).reshape(a_shape);
        }
        if (b_needs) {
          Tensor full;
          if (a2.dim() > 2 && b2.dim() == 2) {
            // Sum over the batch inside one GEMM: (k, B*n) @ (B*n, m).
            const std::int64_t k = a2.size(-1), m = g.size(-1);
            full = matmul_nd(a2.reshape({-1, k}).t(), g.reshape({-1, m}));
          } else {
            full = matmul_nd(transpose_last(a2), g);  // (..., k, m)
          }
          grad_b = sum_to(full, b2.shape()).reshape(b_shape);
        }
        return std::vector<Tensor>{grad_a, grad_b};
      });
}

Tensor Tensor::matmul(const Tensor& other) const { return ember::matmul(*this, other); }

}  // namespace ember
