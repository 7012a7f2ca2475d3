// gather and scatter_add: gradient checks in float64, 0-d and empty indices, and PyTorch's
// shape, dtype and bounds errors. Values against PyTorch are in test_ops2_golden.cpp.
#include <doctest/doctest.h>

#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/gradcheck.h"
#include "ember/tensor/ops.h"

using namespace ember;

namespace {
using Inputs = std::vector<Tensor>;
Tensor leaf(const Shape& shape) { return randn(shape, kFloat64).requires_grad_(); }
}  // namespace

TEST_CASE("gradcheck: gather and scatter_add, with repeated indices") {
  manual_seed(5);
  // Row 0 reads column 2 twice: its gradient there is the sum of both.
  const Tensor index = tensor_int64({2, 0, 2, 1, 1, 1}, {2, 3});
  CHECK(gradcheck([index](const Inputs& x) { return gather(x[0], 1, index); }, {leaf({2, 4})}));
  CHECK(gradcheck([index](const Inputs& x) { return x[0].gather(0, index); }, {leaf({3, 3})}));
  CHECK(gradcheck([index](const Inputs& x) { return scatter_add(x[0], 1, index, x[1]); },
                  {leaf({2, 3}), leaf({2, 3})}));
  CHECK(gradcheck([index](const Inputs& x) { return scatter_add(x[0], -1, index, x[1]); },
                  {leaf({2, 4}), leaf({3, 5})}));
}

TEST_CASE("gather: values, the backward's sum over repeats, 0-d and empty") {
  Tensor x = tensor({1, 2, 3, 4}, {2, 2}, kFloat64).requires_grad_();
  const Tensor index = tensor_int64({0, 0, 1, 0}, {2, 2});
  const Tensor y = gather(x, 1, index);
  CHECK(y.to_vector<double>() == std::vector<double>{1, 1, 4, 3});
  y.sum().backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{2, 0, 1, 1});
  CHECK(y.grad_fn()->name == "GatherBackward0");

  CHECK(gather(scalar_tensor(7.0), 0, tensor_int64({0}, {}).reshape({})).item() == 7.0);
  CHECK(gather(ones({2, 3}), 1, zeros({2, 0}, kInt64)).shape() == Shape{2, 0});
}

TEST_CASE("gather and scatter_add: PyTorch's errors") {
  const Tensor x = ones({2, 3});
  CHECK_THROWS_WITH_AS(gather(x, 1, ones({2, 2})), "gather(): Expected dtype int64 for index",
                       Error);
  CHECK_THROWS_WITH_AS(gather(x, 1, zeros({2}, kInt64)),
                       "Index tensor must have the same number of dimensions as input tensor",
                       Error);
  CHECK_THROWS_WITH_AS(gather(x, 1, zeros({3, 1}, kInt64)),
                       "Size does not match at dimension 0 expected index [3, 1] to be smaller "
                       "than self [2, 3] apart from dimension 1",
                       Error);
  CHECK_THROWS_WITH_AS(gather(x, 1, full({2, 1}, 3, kInt64)),
                       "index 3 is out of bounds for dimension 1 with size 3", Error);
  CHECK_THROWS_WITH_AS(gather(x, 0, full({1, 1}, -1, kInt64)),
                       "index -1 is out of bounds for dimension 0 with size 2", Error);
  CHECK_THROWS_WITH_AS(scatter_add(x, 0, zeros({1, 1}, kInt64), ones({1, 1}, kFloat64)),
                       "scatter_add(): Expected self.dtype to be equal to src.dtype", Error);
  CHECK_THROWS_WITH_AS(scatter_add(x, 1, zeros({3, 1}, kInt64), ones({3, 1})),
                       "Expected index [3, 1] to be smaller than self [2, 3] apart from "
                       "dimension 1 and to be smaller size than src [3, 1]",
                       Error);
}
