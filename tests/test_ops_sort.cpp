// sort and topk: gradient checks in float64, the stable order of ties, NaN placement, and
// PyTorch's errors. Values against PyTorch are in test_ops2_golden.cpp.
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

TEST_CASE("gradcheck: sort and topk along each dim") {
  manual_seed(3);
  for (std::int64_t dim : {0, 1, -1}) {
    CAPTURE(dim);
    CHECK(gradcheck([dim](const Inputs& x) { return sort(x[0], dim).first; }, {leaf({4, 5})}));
    CHECK(gradcheck([dim](const Inputs& x) { return x[0].sort(dim, true).first; },
                    {leaf({3, 4})}));
    CHECK(gradcheck([dim](const Inputs& x) { return topk(x[0], 2, dim).first; }, {leaf({3, 4})}));
    CHECK(gradcheck([dim](const Inputs& x) { return topk(x[0], 3, dim, false).first; },
                    {leaf({4, 3})}));
  }
  CHECK(gradcheck([](const Inputs& x) { return sort(x[0]).first; }, {leaf({})}));
}

TEST_CASE("sort: stable on ties, NaN last ascending and first descending, 0-d and empty") {
  const Tensor x = tensor({2, 1, 2, NAN, 1, 0});
  auto [up, up_idx] = sort(x);
  CHECK(up_idx.to_vector<std::int64_t>() == std::vector<std::int64_t>{5, 1, 4, 0, 2, 3});
  CHECK(std::isnan(up.to_vector<double>()[5]));
  auto [down, down_idx] = x.sort(0, /*descending=*/true);
  CHECK(down_idx.to_vector<std::int64_t>() == std::vector<std::int64_t>{3, 0, 2, 1, 4, 5});
  CHECK(down_idx.dtype() == kInt64);

  auto [scalar, scalar_idx] = sort(scalar_tensor(4.0));
  CHECK(scalar.dim() == 0);
  CHECK(scalar_idx.item<std::int64_t>() == 0);
  auto [empty_values, empty_idx] = sort(zeros({2, 0}), 1);
  CHECK(empty_values.shape() == Shape{2, 0});
  CHECK(empty_idx.shape() == Shape{2, 0});
}

TEST_CASE("topk: the gradient reaches only the picked elements") {
  Tensor x = tensor({0.5, 3.0, -1.0, 2.0}, {2, 2}, kFloat64).requires_grad_();
  auto [values, indices] = topk(x, 1, 1);
  CHECK(values.to_vector<double>() == std::vector<double>{3.0, 2.0});
  CHECK(indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 1});
  values.sum().backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0, 1, 0, 1});
  CHECK(values.grad_fn()->name == "TopkBackward0");
}

TEST_CASE("sort and topk: errors name the op and the range") {
  CHECK_THROWS_WITH_AS(topk(ones({2, 3}), 4), "selected index k out of range", Error);
  CHECK_THROWS_WITH_AS(topk(ones({2, 3}), -1), "selected index k out of range", Error);
  CHECK_THROWS_WITH_AS(sort(ones({2, 3}), 2),
                       "sort: dimension out of range (expected to be in range of [-2, 1], but "
                       "got 2)",
                       Error);
  CHECK_THROWS_WITH_AS(sort(ones({2}, kBool)),
                       "sort: expected a float32, float64 or int64 tensor, found bool (convert "
                       "with .to(kFloat32))",
                       Error);
}
