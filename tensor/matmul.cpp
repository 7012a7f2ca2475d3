// Matrix products as torch.matmul: 1-D (dot), 2-D, and batched with broadcasting over the
// leading dims. Every product is one Eigen GEMM over Eigen::Map views of the storage.
#include <Eigen/Core>
#include <algorithm>

#include "tensor/autograd.h"
#include "tensor/dispatch.h"
#include "tensor/factories.h"
#include "tensor/ops.h"
#include "tensor/strided.h"

namespace ember {
namespace {

// ---- mapping a matrix in ember's storage onto Eigen, without copying --------------------------

template <class T, int Order>
using ConstMatrixMap =
    Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Order>, 0, Eigen::OuterStride<>>;
template <class T>
using OutputMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

// How the last two dims (rows, cols) of an operand with strides (s0, s1) sit in memory. A
// row-major block (s1 == 1) maps as RowMajor with outer stride s0; a column-major one
// (s0 == 1), such as the transposed view w.t(), maps as ColMajor with outer stride s1.
struct MatrixLayout {
  bool valid = false;
  bool row_major = true;
  std::int64_t outer_stride = 0;
};

MatrixLayout layout_of(std::int64_t rows, std::int64_t cols, std::int64_t s0, std::int64_t s1) {
  // A single row or column leaves one stride unused; Eigen still wants a sensible value.
  if ((s1 == 1 || cols == 1) && (rows == 1 || s0 >= std::max<std::int64_t>(cols, 1))) {
    return {true, true, rows == 1 ? std::max<std::int64_t>(cols, 1) : s0};
  }
  if ((s0 == 1 || rows == 1) && (cols == 1 || s1 >= std::max<std::int64_t>(rows, 1))) {
    return {true, false, cols == 1 ? std::max<std::int64_t>(rows, 1) : s1};
  }
  return {};
}

MatrixLayout layout_of(const Tensor& t) {
  const std::int64_t nd = t.dim();
  return layout_of(t.size(nd - 2), t.size(nd - 1), t.stride(nd - 2), t.stride(nd - 1));
}

// Calls fn with the (rows, cols) matrix at p mapped in its layout (two Eigen types).
template <class T, class Fn>
void with_matrix(const T* p, std::int64_t rows, std::int64_t cols, const MatrixLayout& layout,
                 Fn&& fn) {
  const Eigen::OuterStride<> stride(layout.outer_stride);
  if (layout.row_major) fn(ConstMatrixMap<T, Eigen::RowMajor>(p, rows, cols, stride));
  else fn(ConstMatrixMap<T, Eigen::ColMajor>(p, rows, cols, stride));
}

// c (n, m), row-major and contiguous = a (n, k) @ b (k, m), both mapped in place.
template <class T>
void gemm(const T* a, const MatrixLayout& la, const T* b, const MatrixLayout& lb, T* c,
          std::int64_t n, std::int64_t k, std::int64_t m) {
  OutputMap<T> out(c, n, m);
  if (k == 0) {
    out.setZero();
    return;
  }
  with_matrix(a, n, k, la, [&](const auto& am) {
    with_matrix(b, k, m, lb, [&](const auto& bm) { out.noalias() = am * bm; });
  });
}

// An operand whose last two dims Eigen can read in place; otherwise a contiguous copy.
Tensor mappable(const Tensor& t) {
  return layout_of(t).valid ? t : t.contiguous();
}

// ---- the product itself (no autograd) ---------------------------------------------------------

// a (..., n, k) @ b (..., k, m) -> (broadcast(...), n, m), both at least 2-D and checked.
Tensor matmul_nd(Tensor a, Tensor b) {
  const std::int64_t n = a.size(-2), k = a.size(-1), m = b.size(-1);
  // (B..., n, k) @ (k, m) with a contiguous is one GEMM on (B*n, k): the nn.Linear case.
  if (a.dim() > 2 && b.dim() == 2 && a.is_contiguous()) {
    Shape out_shape = a.shape();
    out_shape.back() = m;
    return matmul_nd(a.view({-1, k}), b).view(out_shape);
  }
  a = mappable(a);
  b = mappable(b);
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
  const MatrixLayout la = layout_of(a), lb = layout_of(b);

  detail::dispatch_floating(a.dtype(), "matmul", [&](auto zero) {
    using T = decltype(zero);
    const T* pa = a.data_ptr<T>();
    const T* pb = b.data_ptr<T>();
    T* pc = out.data_ptr<T>();
    auto product = [&](std::int64_t i) {
      gemm<T>(pa + offsets_a[i], la, pb + offsets_b[i], lb, pc + i * n * m, n, k, m);
    };
    if (count > 1 && n * k * m < 64 * 64 * 64) {
      // Many small products: one per thread (Eigen runs single-threaded inside a parallel
      // region).
#pragma omp parallel for
      for (std::int64_t i = 0; i < count; ++i) product(i);
    } else {
      // Few large ones: one after another, each with Eigen's own threads. (Not inside an
      // inactive `omp parallel if(false)`: Eigen's team would then be a nested one, whose
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
  check(k_a == k_b, "matmul: shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()),
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
  // dims its operand was broadcast along. Transposes are views Eigen reads as ColMajor.
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
