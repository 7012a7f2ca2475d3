// cat, stack and where (values, promotion, errors), and the comparisons eq/ne/lt/le/gt/ge,
// allclose and equal. Gradients are in test_ops_gradcheck.cpp.
#include <doctest/doctest.h>

#include <limits>

#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"

using namespace ember;

namespace {
std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }
std::vector<std::int64_t> flags(const Tensor& t) {
  REQUIRE(t.dtype() == kBool);
  return t.to_vector<std::int64_t>();
}
}  // namespace

TEST_CASE("cat: along each dim, views and promotion") {
  Tensor a = tensor({1, 2, 3, 4}, {2, 2});
  Tensor b = tensor({5, 6}, {1, 2});
  Tensor c0 = cat({a, b});
  CHECK(c0.shape() == Shape{3, 2});
  CHECK(values(c0) == std::vector<double>{1, 2, 3, 4, 5, 6});
  Tensor c1 = cat({a, b.t(), a}, -1);
  CHECK(c1.shape() == Shape{2, 5});
  CHECK(values(c1) == std::vector<double>{1, 2, 5, 1, 2, 3, 4, 6, 3, 4});
  CHECK(values(cat({a.t(), a.t()}, 0)) == std::vector<double>{1, 3, 2, 4, 1, 3, 2, 4});
  CHECK(cat({a, zeros({0, 2})}).shape() == Shape{2, 2});
  // float32 with float64 gives float64, int64 stays int64.
  CHECK(cat({a, a.to(kFloat64)}).dtype() == kFloat64);
  CHECK(cat({arange(3), arange(2)}).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{0, 1, 2, 0, 1});
}

TEST_CASE("stack: a new dim at each position") {
  Tensor a = tensor({1, 2, 3}), b = tensor({4, 5, 6});
  CHECK(stack({a, b}).shape() == Shape{2, 3});
  CHECK(values(stack({a, b})) == std::vector<double>{1, 2, 3, 4, 5, 6});
  CHECK(stack({a, b}, 1).shape() == Shape{3, 2});
  CHECK(values(stack({a, b}, -1)) == std::vector<double>{1, 4, 2, 5, 3, 6});
  CHECK(stack({scalar_tensor(1.0), scalar_tensor(2.0)}).shape() == Shape{2});
}

TEST_CASE("where: broadcasting all three, any dtype") {
  Tensor cond = tensor({1, 0, 1}).to(kBool);
  Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(values(where(cond, a, zeros({}))) == std::vector<double>{1, 0, 3, 4, 0, 6});
  CHECK(values(where(cond, scalar_tensor(9.0), a)) == std::vector<double>{9, 2, 9, 9, 5, 9});
  Tensor col = tensor({1, 0}, {2, 1}).to(kBool);
  CHECK(values(where(col, a, -a)) == std::vector<double>{1, 2, 3, -4, -5, -6});
  CHECK(where(cond, arange(3), arange(3)).dtype() == kInt64);
  CHECK(where(cond, ones({3}), ones({3}, kFloat64)).dtype() == kFloat64);
}

TEST_CASE("cat, stack, where: error messages") {
  CHECK_THROWS_WITH_AS(cat({}), "cat: expected a non-empty list of tensors", ember::Error);
  CHECK_THROWS_WITH_AS(cat({ones({2, 3}), ones({2, 4})}),
                       "cat: sizes of tensors must match except in dimension 0. Expected size 3 "
                       "but got size 4 for tensor number 1 in the list",
                       ember::Error);
  CHECK_THROWS_WITH_AS(cat({ones({2, 3}), ones({3})}),
                       "cat: tensors must have the same number of dimensions, found 2 for tensor "
                       "number 0 and 1 for tensor number 1",
                       ember::Error);
  CHECK_THROWS_WITH_AS(cat({ones({2}), ones({2})}, 1),
                       "cat: dimension out of range (expected to be in range of [-1, 0], but got 1)",
                       ember::Error);
  CHECK_THROWS_WITH_AS(cat({scalar_tensor(1.0)}),
                       "cat: zero-dimensional tensor (at position 0) cannot be concatenated",
                       ember::Error);
  CHECK_THROWS_WITH_AS(stack({ones({2, 3}), ones({2, 4})}),
                       "stack: expected each tensor to be equal size, but got (2, 3) at entry 0 and "
                       "(2, 4) at entry 1",
                       ember::Error);
  CHECK_THROWS_WITH_AS(stack({}), "stack: expected a non-empty list of tensors", ember::Error);
  CHECK_THROWS_WITH_AS(where(ones({3}), ones({3}), ones({3})),
                       "where: expected condition to be a bool tensor, found float32", ember::Error);
  CHECK_THROWS_WITH_AS(where(tensor({1, 0}).to(kBool), ones({3}), ones({3})),
                       "where: the size of tensor a (2) must match the size of tensor b (3) at "
                       "non-singleton dimension 0 (shapes (2,) and (3,))",
                       ember::Error);
}

TEST_CASE("comparisons broadcast and give bool") {
  Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = tensor({2, 2, 2});
  CHECK(flags(eq(a, b)) == std::vector<std::int64_t>{0, 1, 0, 0, 0, 0});
  CHECK(flags(ne(a, b)) == std::vector<std::int64_t>{1, 0, 1, 1, 1, 1});
  CHECK(flags(lt(a, b)) == std::vector<std::int64_t>{1, 0, 0, 0, 0, 0});
  CHECK(flags(le(a, b)) == std::vector<std::int64_t>{1, 1, 0, 0, 0, 0});
  CHECK(flags(gt(a, b)) == std::vector<std::int64_t>{0, 0, 1, 1, 1, 1});
  CHECK(flags(ge(a, b)) == std::vector<std::int64_t>{0, 1, 1, 1, 1, 1});
  CHECK(flags(gt(a, 3.5)) == std::vector<std::int64_t>{0, 0, 0, 1, 1, 1});
  CHECK(flags(lt(a, 2.0)) == std::vector<std::int64_t>{1, 0, 0, 0, 0, 0});
  CHECK(eq(a, b).shape() == Shape{2, 3});
  // Mixed dtypes compare after promotion; an int tensor with a fractional number compares
  // as float.
  CHECK(flags(arange(4).eq(tensor({0, 1, 5, 3}))) == std::vector<std::int64_t>{1, 1, 0, 1});
  CHECK(flags(gt(arange(4), 1.5)) == std::vector<std::int64_t>{0, 0, 1, 1});
  CHECK(flags(eq(a.t(), a.t())) == std::vector<std::int64_t>(6, 1));
  // nan is unequal to everything, itself included.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(flags(eq(tensor({nan}), tensor({nan}))) == std::vector<std::int64_t>{0});
  CHECK(flags(ne(tensor({nan}), tensor({nan}))) == std::vector<std::int64_t>{1});
  // The accuracy idiom: argmax against labels, summed as int64.
  Tensor logits = tensor({0.1, 0.9, 0.8, 0.2, 0.3, 0.7}, {3, 2});
  Tensor labels = tensor_int64({1, 0, 0}, {3});
  CHECK(logits.argmax(1).eq(labels).sum().item<std::int64_t>() == 2);
  CHECK_THROWS_WITH_AS(eq(ones({3}), ones({4})),
                       "eq: the size of tensor a (3) must match the size of tensor b (4) at "
                       "non-singleton dimension 0 (shapes (3,) and (4,))",
                       ember::Error);
}

TEST_CASE("allclose and equal") {
  Tensor a = tensor({1.0, 2.0, 3.0});
  CHECK(allclose(a, a + 1e-7));
  CHECK_FALSE(allclose(a, a + 1e-3));
  CHECK(allclose(a, a + 1e-3, 1e-2));
  CHECK(allclose(a, a + 0.5, 0.0, 0.5));
  CHECK_FALSE(allclose(a, tensor({1.0, 2.0})));  // shapes differ
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(allclose(tensor({inf, 1.0}), tensor({inf, 1.0})));
  CHECK_FALSE(allclose(tensor({inf}), tensor({-inf})));
  CHECK_FALSE(allclose(tensor({nan}), tensor({nan})));
  CHECK(equal(a, a.clone()));
  CHECK(equal(a.view({3, 1}).t(), tensor({1.0, 2.0, 3.0}, {1, 3})));
  CHECK_FALSE(equal(a, a + 1e-7f));
  CHECK_FALSE(equal(a, a.view({1, 3})));
  CHECK(equal(zeros({0}), zeros({0})));
}
