// min, maximum/minimum, var, std and cumsum: gradient checks in float64, PyTorch's rules for
// ties, NaN and constant inputs, and errors. Values against PyTorch are in
// test_ops2_golden.cpp.
#include <doctest/doctest.h>

#include <cmath>

#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/gradcheck.h"
#include "ember/tensor/ops.h"

using namespace ember;

namespace {
using Inputs = std::vector<Tensor>;
Tensor leaf(const Shape& shape) { return randn(shape, kFloat64).requires_grad_(); }
}  // namespace

TEST_CASE("gradcheck: min, maximum, minimum, var, std, cumsum, softmax methods") {
  manual_seed(7);
  CHECK(gradcheck([](const Inputs& x) { return min(x[0], 1).first; }, {leaf({3, 4})}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].min(-2, true).first; }, {leaf({3, 4})}));
  CHECK(gradcheck([](const Inputs& x) { return min(x[0]); }, {leaf({2, 3})}));
  CHECK(gradcheck([](const Inputs& x) { return maximum(x[0], x[1]); }, {leaf({3, 4}), leaf({4})}));
  CHECK(gradcheck([](const Inputs& x) { return minimum(x[0], x[1]); },
                  {leaf({2, 1, 3}), leaf({4, 1})}));
  CHECK(gradcheck([](const Inputs& x) { return var(x[0]); }, {leaf({3, 4})}));
  CHECK(gradcheck([](const Inputs& x) { return var(x[0], {0, 2}, VarOptions().keepdim(true)); },
                  {leaf({2, 3, 4})}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].std({1}, VarOptions().unbiased(false)); },
                  {leaf({3, 5})}));
  CHECK(gradcheck([](const Inputs& x) { return ember::std(x[0], {-1}); }, {leaf({2, 3, 4})}));
  for (std::int64_t dim : {0, 1, -1}) {
    CAPTURE(dim);
    CHECK(gradcheck([dim](const Inputs& x) { return cumsum(x[0], dim); }, {leaf({3, 4})}));
  }
  CHECK(gradcheck([](const Inputs& x) { return x[0].softmax(0); }, {leaf({3, 4})}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].log_softmax(-1); }, {leaf({3, 4})}));
}

TEST_CASE("maximum and minimum: NaN propagates, ties split the gradient, ints stay int64") {
  Tensor a = tensor({1, 5, NAN, 2}, kFloat64).requires_grad_();
  Tensor b = tensor({3, 5, 0, NAN}, kFloat64).requires_grad_();
  const Tensor m = maximum(a, b);
  const std::vector<double> v = m.to_vector<double>();
  CHECK(v[0] == 3);
  CHECK(v[1] == 5);
  CHECK(std::isnan(v[2]));
  CHECK(std::isnan(v[3]));
  m.sum().backward();
  CHECK(a.grad().to_vector<double>() == std::vector<double>{0, 0.5, 1, 1});
  CHECK(b.grad().to_vector<double>() == std::vector<double>{1, 0.5, 1, 1});
  CHECK(minimum(tensor_int64({4, -2}), tensor_int64({1})).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{1, -2});
  CHECK(maximum(tensor_int64({4, -2}), tensor({0.5})).dtype() == kFloat32);
  CHECK_THROWS_WITH_AS(maximum(ones({2}), ones({3})),
                       "maximum: the size of tensor a (2) must match the size of tensor b (3) at "
                       "non-singleton dimension 0 (shapes (2,) and (3,))",
                       Error);
}

TEST_CASE("var and std: correction, one element, and a constant input's zero gradient") {
  const Tensor x = tensor({1, 2, 3, 4}, kFloat64);
  CHECK(var(x).item() == doctest::Approx(5.0 / 3.0));
  CHECK(var(x, {}, VarOptions().correction(0)).item() == doctest::Approx(1.25));
  CHECK(var(x, {0}, VarOptions().unbiased(false)).item() == doctest::Approx(1.25));
  CHECK(ember::std(x).item() == doctest::Approx(std::sqrt(5.0 / 3.0)));
  CHECK(std::isnan(var(tensor({2.0})).item()));  // 0 / 0, as in PyTorch
  CHECK(x.var({0}, VarOptions().keepdim(true)).shape() == Shape{1});

  Tensor c = full({3}, 2.0, kFloat64).requires_grad_();
  ember::std(c).backward();
  CHECK(c.grad().to_vector<double>() == std::vector<double>{0, 0, 0});
  CHECK_THROWS_WITH_AS(var(arange(4)), "var: expected a floating point tensor, found int64",
                       Error);
  CHECK_THROWS_WITH_AS(var(ones({2, 3}), {1, -1}),
                       "var: dim 1 appears multiple times in the list of dims", Error);
}

TEST_CASE("cumsum and min: dtypes, 0-d, empty and errors") {
  CHECK(cumsum(tensor({1, 0, 1}, kBool), 0).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{1, 1, 2});
  CHECK(cumsum(tensor({1, 0, 1}, kBool), 0).dtype() == kInt64);
  CHECK(cumsum(scalar_tensor(3.0), 0).item() == 3.0);
  CHECK(cumsum(zeros({0, 2}), 0).shape() == Shape{0, 2});
  CHECK_THROWS_WITH_AS(cumsum(ones({2}), 1),
                       "cumsum: dimension out of range (expected to be in range of [-1, 0], but "
                       "got 1)",
                       Error);

  auto [values, indices] = min(tensor({3, NAN, 1, 1}, {1, 4}), 1);
  CHECK(std::isnan(values.item()));
  CHECK(indices.item<std::int64_t>() == 1);
  CHECK(argmin(tensor({3, 1, 2, 1}), 0).item<std::int64_t>() == 1);
  CHECK_THROWS_WITH_AS(min(zeros({2, 0}), 1),
                       "min: expected a non-empty dimension to reduce, found dimension 1 of size "
                       "0 in a tensor of shape (2, 0)",
                       Error);
  CHECK_THROWS_WITH_AS(min(zeros({0})),
                       "min: expected a non-empty tensor (or specify the reduction dim), found "
                       "shape (0,)",
                       Error);
}
