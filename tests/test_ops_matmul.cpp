// matmul: results in every rank combination against a plain triple loop, strided operands
// (transposed, sliced, broadcast), batch broadcasting, and error messages. Gradients are in
// test_ops_gradcheck.cpp.
#include <doctest/doctest.h>

#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"

using namespace ember;

namespace {

// The reference: a (..., n, k) @ b (..., k, m) with batch dims already equal, by loops, in
// double. Both arguments at least 2-D.
Tensor reference_matmul(const Tensor& a, const Tensor& b) {
  const std::int64_t n = a.size(-2), k = a.size(-1), m = b.size(-1);
  const std::int64_t batch = a.numel() / (n * k);
  const std::vector<double> va = a.contiguous().to_vector<double>();
  const std::vector<double> vb = b.contiguous().to_vector<double>();
  std::vector<double> out(static_cast<std::size_t>(batch * n * m), 0.0);
  for (std::int64_t s = 0; s < batch; ++s)
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < m; ++j) {
        double acc = 0.0;
        for (std::int64_t p = 0; p < k; ++p) {
          acc += va[static_cast<std::size_t>((s * n + i) * k + p)] *
                 vb[static_cast<std::size_t>((s * k + p) * m + j)];
        }
        out[static_cast<std::size_t>((s * n + i) * m + j)] = acc;
      }
  Shape shape = a.shape();
  shape.back() = m;
  return tensor(out, shape, kFloat64);
}

void check_close(const Tensor& actual, const Tensor& expected) {
  REQUIRE(actual.shape() == expected.shape());
  CHECK(allclose(actual.to(kFloat64), expected, 1e-5, 1e-5));
}

}  // namespace

TEST_CASE("matmul: 2-D values") {
  Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = tensor({7, 8, 9, 10, 11, 12}, {3, 2});
  Tensor c = matmul(a, b);
  CHECK(c.shape() == Shape{2, 2});
  CHECK(c.to_vector<double>() == std::vector<double>{58, 64, 139, 154});
  CHECK(a.matmul(b).to_vector<double>() == c.to_vector<double>());
  CHECK(c.dtype() == kFloat32);
  CHECK(matmul(a.to(kFloat64), b.to(kFloat64)).dtype() == kFloat64);
}

TEST_CASE("matmul: 1-D operands as torch.matmul treats them") {
  Tensor v = tensor({1, 2, 3});
  Tensor m = tensor({1, 0, 2, 1, 0, 3}, {3, 2});
  Tensor dot = matmul(v, v);
  CHECK(dot.dim() == 0);
  CHECK(dot.item() == 14.0);
  Tensor vm = matmul(v, m);  // (3) @ (3, 2) -> (2)
  CHECK(vm.shape() == Shape{2});
  CHECK(vm.to_vector<double>() == std::vector<double>{5, 11});
  Tensor mv = matmul(m.t(), v);  // (2, 3) @ (3) -> (2)
  CHECK(mv.shape() == Shape{2});
  CHECK(mv.to_vector<double>() == std::vector<double>{5, 11});
  Tensor bv = matmul(ones({4, 2, 3}), v);  // batched @ vector -> (4, 2)
  CHECK(bv.shape() == Shape{4, 2});
  CHECK(bv.to_vector<double>() == std::vector<double>(8, 6.0));
  Tensor vb = matmul(v, ones({4, 3, 5}));  // vector @ batched -> (4, 5)
  CHECK(vb.shape() == Shape{4, 5});
}

TEST_CASE("matmul: strided operands are read in place, with correct results") {
  manual_seed(3);
  Tensor w = randn({5, 4}), x = randn({3, 4});
  // x @ w.t(): w.t() has strides (1, 4), a column-major matrix for Eigen.
  check_close(matmul(x, w.t()), reference_matmul(x, w.t().contiguous()));
  check_close(matmul(w, x.t()), reference_matmul(w, x.t().contiguous()));
  check_close(matmul(x.t().t(), w.t()), reference_matmul(x, w.t().contiguous()));
  // A slice keeps its parent's row stride: outer stride 6 for a 3-column block.
  Tensor big = randn({4, 6});
  Tensor block = big.narrow(1, 2, 3);
  Tensor r = randn({3, 2});
  check_close(matmul(block, r), reference_matmul(block.contiguous(), r));
  check_close(matmul(r.t(), block.t()), reference_matmul(r.t().contiguous(), block.t().contiguous()));
  // Single rows and columns with odd strides.
  Tensor row = big.select(0, 1).unsqueeze(0);   // (1, 6)
  Tensor col = big.select(1, 3).unsqueeze(1);   // (4, 1) with row stride 6
  check_close(matmul(col, row), reference_matmul(col.contiguous(), row.contiguous()));
  // A permuted batch whose matrices are column-major (strides (1, 8)): read in place.
  Tensor p = randn({3, 2, 4}).permute({1, 2, 0});  // (2, 4, 3), strides (4, 1, 8)
  Tensor q = randn({2, 3, 5});
  check_close(matmul(p, q), reference_matmul(p.contiguous(), q));
  // Neither row- nor column-major (strides (6, 2)): copied first, still right.
  Tensor odd = randn({4, 3, 2}).permute({2, 0, 1});  // (2, 4, 3)
  check_close(matmul(odd, q), reference_matmul(odd.contiguous(), q));
}

TEST_CASE("matmul: batches, broadcast batch dims, and the folded (B*n, k) @ (k, m) path") {
  manual_seed(4);
  Tensor a = randn({2, 3, 4}), b = randn({2, 4, 5});
  check_close(matmul(a, b), reference_matmul(a, b));
  // (2, 1, 3, 4) @ (5, 4, 2) -> (2, 5, 3, 2)
  Tensor c = randn({2, 1, 3, 4}), d = randn({5, 4, 2});
  Tensor cd = matmul(c, d);
  CHECK(cd.shape() == Shape{2, 5, 3, 2});
  check_close(cd, reference_matmul(c.expand({2, 5, 3, 4}).contiguous(),
                                   d.expand({2, 5, 4, 2}).contiguous()));
  // (B..., n, k) @ (k, m): one GEMM over the flattened batch.
  Tensor e = randn({3, 2, 6, 4}), f = randn({4, 7});
  check_close(matmul(e, f), reference_matmul(e, f.expand({3, 2, 4, 7}).contiguous()));
  // (n, k) @ (B, k, m)
  Tensor g = randn({3, 4}), h = randn({6, 4, 2});
  check_close(matmul(g, h), reference_matmul(g.expand({6, 3, 4}).contiguous(), h));
  // Many small products run one per thread.
  Tensor s = randn({300, 5, 6}), t = randn({300, 6, 3});
  check_close(matmul(s, t), reference_matmul(s, t));
  // float64 stays float64 and precise.
  Tensor a64 = randn({2, 3, 4}, kFloat64), b64 = randn({4, 2}, kFloat64);
  CHECK(allclose(matmul(a64, b64), reference_matmul(a64, b64.expand({2, 4, 2}).contiguous()),
                 1e-12, 1e-12));
}

TEST_CASE("matmul: large products through Eigen's blocked GEMM") {
  manual_seed(5);
  Tensor a = randn({130, 70}, kFloat64), b = randn({70, 90}, kFloat64);
  CHECK(allclose(matmul(a, b), reference_matmul(a, b), 1e-10, 1e-10));
  CHECK(allclose(matmul(b.t(), a.t()), reference_matmul(b.t().contiguous(), a.t().contiguous()),
                 1e-10, 1e-10));
}

TEST_CASE("matmul: empty dims") {
  Tensor z = matmul(ones({3, 0}), ones({0, 4}));  // k = 0: a sum of nothing
  CHECK(z.shape() == Shape{3, 4});
  CHECK(z.to_vector<double>() == std::vector<double>(12, 0.0));
  CHECK(matmul(ones({0, 2}), ones({2, 4})).shape() == Shape{0, 4});
  CHECK(matmul(ones({0, 2, 3}), ones({3, 4})).shape() == Shape{0, 2, 4});
}

TEST_CASE("matmul: error messages") {
  CHECK_THROWS_WITH_AS(matmul(ones({4, 3}), ones({4, 2})),
                       "matmul: shapes (4, 3) and (4, 2) cannot be multiplied (3 != 4)",
                       ember::Error);
  CHECK_THROWS_WITH_AS(matmul(ones({3}), ones({4})),
                       "matmul: shapes (3,) and (4,) cannot be multiplied (3 != 4)", ember::Error);
  CHECK_THROWS_WITH_AS(matmul(ones({2, 5, 3}), ones({2, 4})),
                       "matmul: shapes (2, 5, 3) and (2, 4) cannot be multiplied (3 != 2)",
                       ember::Error);
  CHECK_THROWS_WITH_AS(matmul(scalar_tensor(1.0), ones({2, 2})),
                       "matmul: both arguments need to be at least 1-D, found 0-D and 2-D",
                       ember::Error);
  CHECK_THROWS_WITH_AS(matmul(ones({2, 2}), ones({2, 2}, kFloat64)),
                       "matmul: expected both tensors to have the same dtype, found float32 and "
                       "float64",
                       ember::Error);
  CHECK_THROWS_WITH_AS(matmul(ones({2, 2}, kInt64), ones({2, 2}, kInt64)),
                       "matmul: expected a float32 or float64 tensor, found int64", ember::Error);
  CHECK_THROWS_WITH_AS(matmul(ones({2, 4, 3}), ones({3, 3, 2})),
                       "matmul: the size of tensor a (2) must match the size of tensor b (3) at "
                       "non-singleton dimension 0 (shapes (2,) and (3,))",
                       ember::Error);
}
