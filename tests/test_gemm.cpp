// The GEMM kernel (tensor/gemm.h) against a plain triple loop in double: every transpose, sizes
// on both sides of the register tile and of the cache blocks, accumulate, a c with wider rows,
// k == 0, and the same bits on any thread count. Linear, Conv2d and matmul are checked against
// PyTorch in their own tests; this one walks the kernel's edges directly.
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "ember/tensor/gemm.h"

using ember::detail::gemm;
using ember::detail::MatrixView;

namespace {

// An (rows, cols) operand stored row-major, or column-major when `transposed`, with random
// entries in [-1, 1).
template <class T>
struct Operand {
  std::vector<T> storage;
  MatrixView<T> view;

  Operand(std::int64_t rows, std::int64_t cols, bool transposed, std::mt19937& rng)
      : storage(static_cast<std::size_t>(rows * cols)) {
    std::uniform_real_distribution<double> uniform(-1.0, 1.0);
    for (T& x : storage) x = static_cast<T>(uniform(rng));
    view = transposed ? MatrixView<T>{storage.data(), 1, rows}
                      : MatrixView<T>{storage.data(), cols, 1};
  }
};

// c (m, n), rows ldc apart, (+)= a b as the kernel should compute it, summed in double.
template <class T>
void reference_gemm(std::int64_t m, std::int64_t n, std::int64_t k, MatrixView<T> a,
                    MatrixView<T> b, T* c, std::int64_t ldc, bool accumulate) {
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      double sum = accumulate ? c[i * ldc + j] : 0.0;
      for (std::int64_t l = 0; l < k; ++l) sum += double(a(i, l)) * double(b(l, j));
      c[i * ldc + j] = static_cast<T>(sum);
    }
}

// Runs gemm and the reference on the same c (ldc = n + 3, its spare columns set to a marker)
// and checks every entry, and that the spare columns are untouched.
template <class T>
void check_gemm(std::int64_t m, std::int64_t n, std::int64_t k, bool a_transposed,
                bool b_transposed, bool accumulate, double tolerance) {
  CAPTURE(m);
  CAPTURE(n);
  CAPTURE(k);
  CAPTURE(a_transposed);
  CAPTURE(b_transposed);
  CAPTURE(accumulate);
  std::mt19937 rng(static_cast<unsigned>(m * 1000003 + n * 1009 + k));
  const Operand<T> a(m, k, a_transposed, rng), b(k, n, b_transposed, rng);
  const std::int64_t ldc = n + 3;
  const T marker = T(12345);
  std::vector<T> c(static_cast<std::size_t>(m * ldc), marker);
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) c[i * ldc + j] = T(0.25) * T(j % 7) - T(i % 3);
  std::vector<T> expected = c;
  gemm<T>(m, n, k, a.view, b.view, c.data(), ldc, accumulate);
  reference_gemm<T>(m, n, k, a.view, b.view, expected.data(), ldc, accumulate);
  int wrong = 0;
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < ldc; ++j) {
      const T got = c[i * ldc + j], want = expected[i * ldc + j];
      const double allowed = j < n ? tolerance * (1.0 + std::sqrt(double(k))) : 0.0;
      if (!(std::abs(double(got) - double(want)) <= allowed) && ++wrong <= 3) {
        CAPTURE(i);
        CAPTURE(j);
        CHECK(got == doctest::Approx(want));
      }
    }
  }
  CHECK(wrong == 0);
}

}  // namespace

TEST_CASE("gemm: every transpose, with sizes around the register tile and the cache blocks") {
  // 6 x 16 floats is the AVX2 register tile, 256 the depth of a block of k and 144 the rows of
  // a block of a; the sizes sit just below, on and above each. Operands whose rows are 512
  // floats or longer are packed, shorter ones mostly read in place: both ways are covered.
  const std::int64_t sizes[][3] = {{1, 1, 1},     {5, 15, 3},     {6, 16, 8},     {7, 17, 255},
                                   {13, 33, 256}, {12, 32, 257},  {145, 40, 20},  {150, 9, 600},
                                   {2, 300, 513}, {300, 70, 100}, {4, 4100, 3},   {520, 24, 30},
                                   {9, 530, 40}};
  for (const auto& size : sizes) {
    for (int mask = 0; mask < 8; ++mask) {
      const bool a_t = mask & 1, b_t = mask & 2, accumulate = mask & 4;
      check_gemm<float>(size[0], size[1], size[2], a_t, b_t, accumulate, 1e-5);
      check_gemm<double>(size[0], size[1], size[2], a_t, b_t, accumulate, 1e-13);
    }
  }
}

TEST_CASE("gemm: k == 0 gives zeros, or leaves c as it was when accumulating") {
  const std::vector<float> none;
  const MatrixView<float> empty{none.data(), 0, 1};
  std::vector<float> c{1, 2, 3, 4, 5, 6};
  gemm<float>(2, 2, 0, empty, empty, c.data(), 3, /*accumulate=*/true);
  CHECK(c == std::vector<float>{1, 2, 3, 4, 5, 6});
  gemm<float>(2, 2, 0, empty, empty, c.data(), 3, /*accumulate=*/false);
  CHECK(c == std::vector<float>{0, 0, 3, 0, 0, 6});
}

TEST_CASE("gemm: a broadcast operand (row stride 0) reads one row for all") {
  const std::vector<float> row{1, 2, 3};              // a (4, 3): the same row four times
  const std::vector<float> b{1, 0, 0, 1, 1, 1};       // b (3, 2)
  std::vector<float> c(8, -1.0f);
  gemm<float>(4, 2, 3, MatrixView<float>{row.data(), 0, 1}, MatrixView<float>{b.data(), 2, 1},
              c.data(), 2, /*accumulate=*/false);
  CHECK(c == std::vector<float>{4, 5, 4, 5, 4, 5, 4, 5});
}

TEST_CASE("gemm: an infinity reaches only its own row or column, ragged tiles included") {
  // a's infinity meets the zeros that pad b's ragged panel, and b's those that pad a's: the NaNs
  // they make must stay in the part of the tile that lies outside c.
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> a(7 * 5, 1.0f), b(5 * 3, 1.0f), c(7 * 3);
  a[0] = inf;  // a (7, 5): 7 rows = a full panel of 6 and a ragged one
  b[2] = inf;  // b (5, 3): 3 columns, a ragged panel
  gemm<float>(7, 3, 5, ember::detail::row_major(a.data(), 5), ember::detail::row_major(b.data(), 3),
              c.data(), 3, /*accumulate=*/false);
  for (int i = 0; i < 7; ++i) {
    CAPTURE(i);
    CHECK(c[i * 3 + 0] == (i == 0 ? inf : 5.0f));
    CHECK(c[i * 3 + 1] == (i == 0 ? inf : 5.0f));
    CHECK(c[i * 3 + 2] == inf);
  }
}

TEST_CASE("gemm: the same bits on one thread and two, splitting rows or columns") {
  const int threads_before = omp_get_max_threads();
  // (300, 80): more rows than columns, so threads split the rows; (80, 300): the columns.
  const std::int64_t shapes[][2] = {{300, 80}, {80, 300}};
  for (const auto& shape : shapes) {
    const std::int64_t m = shape[0], n = shape[1], k = 700;
    CAPTURE(m);
    std::mt19937 rng(7);
    const Operand<float> a(m, k, false, rng), b(k, n, true, rng);
    auto run = [&](int threads) {
      omp_set_num_threads(threads);
      std::vector<float> c(static_cast<std::size_t>(m * n));
      gemm<float>(m, n, k, a.view, b.view, c.data(), n, /*accumulate=*/false);
      return c;
    };
    const std::vector<float> one = run(1), two = run(2);
    CHECK(one == two);
  }
  omp_set_num_threads(threads_before);
}
