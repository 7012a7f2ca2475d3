// The differentiable math on tensors, as free functions (torch.* names), plus comparisons.
//
// Binary ops broadcast as PyTorch does and promote dtypes (int64 + float32 -> float32).
// Gradients flow through float32 and float64 tensors.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

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

// ---- linear algebra (tensor/matmul.cpp) -----------------------------------------------------
// 1-D, 2-D and batched (broadcast over leading dims) as torch.matmul.
Tensor matmul(const Tensor& a, const Tensor& b);

// ---- joining and selecting (tensor/join.cpp) ------------------------------------------------
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
// condition ? a : b, broadcasting all three; condition is bool.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);

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
