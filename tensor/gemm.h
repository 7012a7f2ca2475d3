// ember's matrix product (GEMM), the hot loop of Linear, Conv2d and matmul: c = a b on strided
// operands, so that a transpose is just a view. How it reaches the CPU's peak is told in
// tensor/gemm.cpp.
#pragma once

#include <cstdint>

namespace ember::detail {

// A read-only (rows, cols) matrix in memory: element (i, j) lies at data[i * row_stride +
// j * col_stride]. A row-major matrix has col_stride 1; its transpose is the same memory with
// the two strides swapped, and a broadcast row has row_stride 0.
template <class T>
struct MatrixView {
  const T* data;
  std::int64_t row_stride, col_stride;

  T operator()(std::int64_t i, std::int64_t j) const {
    return data[i * row_stride + j * col_stride];
  }
  MatrixView t() const { return {data, col_stride, row_stride}; }
  // The view whose (0, 0) is this one's (i, j).
  MatrixView from(std::int64_t i, std::int64_t j) const {
    return {data + i * row_stride + j * col_stride, row_stride, col_stride};
  }
};

// The contiguous row-major matrix at data whose rows are `cols` long.
template <class T>
MatrixView<T> row_major(const T* data, std::int64_t cols) {
  return {data, cols, 1};
}

// c (m, n), row-major with rows ldc apart: c = a (m, k) b (k, n), or c += a b when accumulate.
// With k == 0 that is c = 0 (or c unchanged). Called outside an OpenMP parallel region with a
// large enough product, it splits c among omp_get_max_threads() threads; inside one, it runs
// on the calling thread. Every entry of c sums its k products in the same order either way, so
// the result does not depend on the thread count.
template <class T>
void gemm(std::int64_t m, std::int64_t n, std::int64_t k, MatrixView<T> a, MatrixView<T> b, T* c,
          std::int64_t ldc, bool accumulate);

}  // namespace ember::detail
