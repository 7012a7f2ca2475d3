// The differentiable math on tensors, as free functions (torch.* names), plus comparisons.
//
// Binary ops broadcast as PyTorch does and promote dtypes (int64 + float32 -> float32).
// Gradients flow through float32 and float64 tensors.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "ember/core/arg.h"
#include "ember/tensor/tensor.h"

namespace ember {

// ---- elementwise, broadcasting (tensor/elementwise.cpp) -----------------------------------
Tensor add(const Tensor& a, const Tensor& b, double alpha = 1.0);  // a + alpha * b
Tensor sub(const Tensor& a, const Tensor& b, double alpha = 1.0);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);
Tensor operator-(const Tensor& a);

// ---- elementwise, one input (tensor/unary.cpp) ----------------------------------------------
Tensor neg(const Tensor& x);
Tensor pow(const Tensor& x, double exponent);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor clamp(const Tensor& x, double min, double max);

// ---- reductions (tensor/reduce.cpp) ---------------------------------------------------------
Tensor sum(const Tensor& x);  // bool and integer inputs sum to int64, as in PyTorch
Tensor sum(const Tensor& x, const Shape& dims, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const Shape& dims, bool keepdim = false);
std::pair<Tensor, Tensor> max(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor max(const Tensor& x);
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim = false);
// Sums a broadcast gradient back down to shape (the backward of broadcasting).
Tensor sum_to(const Tensor& x, const Shape& shape);

// ---- minimum, and elementwise maximum / minimum (tensor/extrema.cpp) ------------------------
// (values, indices) of the minimum along dim, as torch.min(x, dim): NaN wins, ties give the
// first index.
std::pair<Tensor, Tensor> min(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor min(const Tensor& x);
Tensor argmin(const Tensor& x, std::int64_t dim, bool keepdim = false);
// Elementwise, broadcasting; NaN in either input gives NaN (torch.maximum, torch.minimum).
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

// ---- variance and standard deviation (tensor/variance.cpp) ----------------------------------
// torch.var / torch.std's correction and keepdim. The divisor is max(0, N - correction):
// correction 1 (unbiased, the default) is Bessel's, 0 the population variance.
struct VarOptions {
  // PyTorch's older flag: unbiased(true) is correction(1), unbiased(false) correction(0).
  VarOptions& unbiased(bool unbiased) {
    correction_ = unbiased ? 1.0 : 0.0;
    return *this;
  }
  EMBER_ARG(double, correction) = 1.0;
  EMBER_ARG(bool, keepdim) = false;
};
// Over the dims listed, or over every element when dims is empty.
Tensor var(const Tensor& x, const Shape& dims = {}, const VarOptions& options = {});
Tensor std(const Tensor& x, const Shape& dims = {}, const VarOptions& options = {});

// ---- scans (tensor/cumsum.cpp) ----------------------------------------------------------------
// Running sum along dim; bool and integer inputs give int64, as in PyTorch.
Tensor cumsum(const Tensor& x, std::int64_t dim);

// ---- sorting (tensor/sort.cpp) ------------------------------------------------------------------
// (values, indices) along dim. The sort is always stable (PyTorch's stable=true): equal values
// keep their order. NaN sorts above every number, as in PyTorch.
std::pair<Tensor, Tensor> sort(const Tensor& x, std::int64_t dim = -1, bool descending = false);
// The k largest (or smallest) along dim, as torch.topk. The result is always sorted, also with
// sorted=false (where PyTorch leaves the order unspecified); ties keep the lower index first.
std::pair<Tensor, Tensor> topk(const Tensor& x, std::int64_t k, std::int64_t dim = -1,
                               bool largest = true, bool sorted = true);

// ---- linear algebra (tensor/matmul.cpp) -----------------------------------------------------
// 1-D, 2-D and batched (broadcast over leading dims) as torch.matmul.
Tensor matmul(const Tensor& a, const Tensor& b);

// ---- joining and selecting (tensor/join.cpp) ------------------------------------------------
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
// condition ? a : b, broadcasting all three; condition is bool.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);

// ---- indexing along a dim (tensor/gather.cpp) -----------------------------------------------------
// out[i][j][k] = x[i][index[i][j][k]][k] for dim 1 (torch.gather); index is int64, of x's rank,
// and no larger than x outside dim. The result has index's shape.
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index);
// A copy of self with out[i][index[i][j][k]][k] += src[i][j][k] for dim 1 (torch.scatter_add).
Tensor scatter_add(const Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src);

// ---- comparisons, no gradient, bool results (tensor/compare.cpp) -----------------------------
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, double b);
Tensor lt(const Tensor& a, double b);
// True when shapes match and every element differs by at most atol + rtol * |b|.
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8);
bool equal(const Tensor& a, const Tensor& b);  // same shape and bit-equal values

}  // namespace ember
