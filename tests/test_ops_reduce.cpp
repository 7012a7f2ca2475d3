// Reductions: values, shapes, dtypes, parallel paths and error messages of sum, mean, max,
// argmax and sum_to. Gradients are in test_ops_gradcheck.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"

using namespace ember;

namespace {
// x = [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]], [[12, ...], ...]] as float32 (2, 3, 4).
Tensor counting() { return arange(24).to(kFloat32).view({2, 3, 4}); }
std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }
}  // namespace

TEST_CASE("sum: all elements and over dims, with and without keepdim") {
  Tensor x = counting();
  CHECK(x.sum().dim() == 0);
  CHECK(x.sum().item() == 276.0);
  CHECK(sum(x, {0}).shape() == Shape{3, 4});
  CHECK(values(sum(x, {0})) == std::vector<double>{12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34});
  CHECK(values(x.sum({2})) == std::vector<double>{6, 22, 38, 54, 70, 86});
  CHECK(x.sum({-1}, true).shape() == Shape{2, 3, 1});
  CHECK(x.sum({0, 2}).shape() == Shape{3});
  CHECK(values(x.sum({0, 2})) == std::vector<double>{60, 92, 124});
  CHECK(values(x.sum({2, 0})) == std::vector<double>{60, 92, 124});  // order does not matter
  CHECK(x.sum({0, 2}, true).shape() == Shape{1, 3, 1});
  CHECK(x.sum({0, 1, 2}).dim() == 0);
  CHECK(x.sum(Shape{}).item() == 276.0);  // dim=[] reduces everything, as in PyTorch
  // Reductions read views in their logical order.
  CHECK(values(x.transpose(0, 2).sum({0})) == values(x.sum({2}).t()));
  CHECK(values(x.select(1, 1).sum({1})) == std::vector<double>{22, 70});
  // A 0-d tensor reduces over "dim 0" to itself.
  CHECK(scalar_tensor(2.5).sum({0}).item() == 2.5);
}

TEST_CASE("sum: bool and integer inputs give int64, float dtypes are kept") {
  Tensor flags = tensor({1, 0, 1, 1}).to(kBool);
  CHECK(flags.sum().dtype() == kInt64);
  CHECK(flags.sum().item<std::int64_t>() == 3);
  CHECK(tensor({1, 2, 3}, {}, kInt32).sum().dtype() == kInt64);
  CHECK(tensor_int64({4, 5, 6}, {3}).sum().item<std::int64_t>() == 15);
  // int64 sums are exact beyond 2^53.
  const std::int64_t big = (std::int64_t{1} << 60) + 1;
  CHECK(tensor_int64({big, 1}, {2}).sum().item<std::int64_t>() == big + 1);
  CHECK(ones({3}, kFloat64).sum().dtype() == kFloat64);
  CHECK(ones({3}).sum().dtype() == kFloat32);
}

TEST_CASE("sum: large tensors take the parallel paths and stay exact and deterministic") {
  // 1..n: exact in double, and float32 sums of small integers are exact too.
  const std::int64_t n = 300000;
  Tensor x = arange(1.0, static_cast<double>(n) + 1, 1.0, kFloat64);
  CHECK(x.sum().item() == static_cast<double>(n) * (n + 1) / 2);
  Tensor m = ones({500, 200});
  CHECK(values(m.sum({1})) == std::vector<double>(500, 200.0));  // kept leading dim, parallel
  CHECK(values(m.sum({0})) == std::vector<double>(200, 500.0));  // reduced leading dim
  Tensor r = randn({400, 300});
  CHECK(equal(r.sum({1}), r.sum({1})));
  CHECK(r.sum().item() == r.sum().item());
  // float32 input is accumulated in double: better than a naive float loop.
  Tensor tenths = full({1000000}, 0.1f);
  CHECK(tenths.sum().item() == doctest::Approx(100000.0).epsilon(1e-7));
}

TEST_CASE("mean: values, dims, empty and dtype errors") {
  Tensor x = counting();
  CHECK(x.mean().item() == 11.5);
  CHECK(values(x.mean({1})) == std::vector<double>{4, 5, 6, 7, 16, 17, 18, 19});
  CHECK(x.mean({0, 1}, true).shape() == Shape{1, 1, 4});
  CHECK(std::isnan(zeros({0}).mean().item()));
  CHECK_THROWS_WITH_AS(arange(5).mean(),
                       "mean: could not infer output dtype. Input dtype must be either a floating "
                       "point or complex dtype. Got: int64",
                       ember::Error);
}

TEST_CASE("max and argmax over a dim") {
  Tensor x = tensor({3, 9, 2, 7, 1, 8}, {2, 3});
  auto [v1, i1] = x.max(1);
  CHECK(values(v1) == std::vector<double>{9, 8});
  CHECK(i1.dtype() == kInt64);
  CHECK(i1.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 2});
  auto [v0, i0] = max(x, 0, true);
  CHECK(v0.shape() == Shape{1, 3});
  CHECK(values(v0) == std::vector<double>{7, 9, 8});
  CHECK(i0.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 1});
  CHECK(argmax(x, -1).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 2});
  CHECK(x.argmax(0, true).shape() == Shape{1, 3});
  // Ties pick the first index; nan beats every number, as in PyTorch.
  Tensor ties = tensor({5, 5, 1});
  CHECK(ties.argmax(0).item() == 0.0);
  Tensor with_nan = tensor({1.0, std::numeric_limits<double>::quiet_NaN(), 3.0});
  CHECK(with_nan.argmax(0).item() == 1.0);
  CHECK(std::isnan(with_nan.max().item()));
  // int64 keeps its dtype and exactness.
  CHECK(tensor_int64({-4, 10, 3}, {3}).max(0).first.item<std::int64_t>() == 10);
  // Works on views, and on 0-d tensors.
  CHECK(x.t().argmax(1).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 1});
  CHECK(scalar_tensor(4.0).max(0).first.item() == 4.0);
}

TEST_CASE("max of everything") {
  CHECK(counting().max().item() == 23.0);
  CHECK(counting().max().dim() == 0);
  CHECK(tensor({-3.0, -1.0}).max().item() == -1.0);
}

TEST_CASE("max: ties share the gradient evenly, as PyTorch's evenly_distribute_backward") {
  Tensor x = tensor({1.0, 4.0, 4.0, 2.0}).requires_grad_();
  x.max().backward();
  CHECK(values(x.grad()) == std::vector<double>{0.0, 0.5, 0.5, 0.0});
  Tensor y = tensor({4.0, 4.0}).requires_grad_();
  y.max(0).first.backward();  // over a dim, only the chosen index gets it
  CHECK(values(y.grad()) == std::vector<double>{1.0, 0.0});
}

TEST_CASE("sum_to: the inverse of broadcasting") {
  Tensor g = ones({2, 3, 4});
  CHECK(sum_to(g, {2, 3, 4}).is_same(g));
  CHECK(values(sum_to(g, {4})) == std::vector<double>(4, 6.0));
  CHECK(sum_to(g, {3, 1}).shape() == Shape{3, 1});
  CHECK(values(sum_to(g, {3, 1})) == std::vector<double>(3, 8.0));
  CHECK(sum_to(g, {}).item() == 24.0);
  CHECK(sum_to(g, {1, 1, 1}).shape() == Shape{1, 1, 1});
  CHECK_THROWS_WITH_AS(sum_to(g, {5}), "sum_to: shape (5,) is not broadcastable to (2, 3, 4)",
                       ember::Error);
  CHECK_THROWS_WITH_AS(sum_to(ones({3}), {2, 3}),
                       "sum_to: cannot sum a tensor of shape (3,) to the larger shape (2, 3)",
                       ember::Error);
}

TEST_CASE("reductions: error messages") {
  Tensor x = ones({2, 3});
  CHECK_THROWS_WITH_AS(x.sum({2}),
                       "sum: dimension out of range (expected to be in range of [-2, 1], but got 2)",
                       ember::Error);
  CHECK_THROWS_WITH_AS(x.sum({1, -1}), "sum: dim 1 appears multiple times in the list of dims",
                       ember::Error);
  CHECK_THROWS_WITH_AS(x.max(-3),
                       "max: dimension out of range (expected to be in range of [-2, 1], but got -3)",
                       ember::Error);
  CHECK_THROWS_WITH_AS(zeros({0}).max(),
                       "max: expected a non-empty tensor (or specify the reduction dim), found "
                       "shape (0,)",
                       ember::Error);
  CHECK_THROWS_WITH_AS(zeros({2, 0}).max(1),
                       "max: expected a non-empty dimension to reduce, found dimension 1 of size 0 "
                       "in a tensor of shape (2, 0)",
                       ember::Error);
  CHECK_THROWS_WITH_AS(ones({2}, kFloat16).sum(),
                       "sum: expected a float32, float64 or int64 tensor, found float16 (convert "
                       "with .to(kFloat32))",
                       ember::Error);
}
