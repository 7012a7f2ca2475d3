// Unbatched (C, H, W) input to conv2d and the 2-d pools, layers and functions: the same result
// as a batch of one, gradients through it (gradcheck in float64), and PyTorch's errors for other
// ranks.
#include <doctest/doctest.h>

#include <functional>

#include "ember/nn/adaptive_avg_pool2d.h"
#include "ember/nn/avg_pool2d.h"
#include "ember/nn/conv2d.h"
#include "ember/nn/functional.h"
#include "ember/nn/max_pool2d.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/gradcheck.h"
#include "ember/tensor/ops.h"

using namespace ember;
namespace F = ember::nn::functional;

namespace {
using Inputs = std::vector<Tensor>;
using Fn = std::function<Tensor(const Tensor&)>;

// f on (C, H, W) equals f on (1, C, H, W) without the batch dim, and differentiates.
void check_unbatched(const Fn& f) {
  const Tensor x = randn({2, 5, 6}, kFloat64);
  const Tensor y = f(x);
  CHECK(y.dim() == 3);
  CHECK(equal(y, f(x.unsqueeze(0)).squeeze(0)));
  CHECK(gradcheck([f](const Inputs& in) { return f(in[0]); }, {x.clone().requires_grad_()}));
}
}  // namespace

TEST_CASE("unbatched (C, H, W) input: conv2d and the pools, as layers and functions") {
  manual_seed(11);
  nn::Conv2d conv(nn::Conv2dOptions(2, 3, 3).padding(1));
  conv.to(kFloat64);
  const Tensor w = conv.weight.detach();
  check_unbatched([&conv](const Tensor& x) { return conv.forward(x); });
  check_unbatched([w](const Tensor& x) { return F::conv2d(x, w, F::Conv2dFuncOptions().stride(2)); });
  nn::MaxPool2d max_pool(nn::MaxPool2dOptions(2));
  check_unbatched([&max_pool](const Tensor& x) { return max_pool.forward(x); });
  check_unbatched([](const Tensor& x) { return F::avg_pool2d(x, F::AvgPool2dFuncOptions(3).stride(1)); });
  nn::AdaptiveAvgPool2d adaptive(nn::AdaptiveAvgPool2dOptions({2, 4}));
  check_unbatched([&adaptive](const Tensor& x) { return adaptive.forward(x); });
}

TEST_CASE("unbatched input: other ranks fail with PyTorch's messages") {
  const Tensor x = ones({2, 3});
  CHECK_THROWS_WITH_AS(F::conv2d(x, ones({1, 1, 1, 1})),
                       "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of "
                       "size: [2, 3]",
                       Error);
  CHECK_THROWS_WITH_AS(F::max_pool2d(ones({1, 1, 2, 3, 4}), F::MaxPool2dFuncOptions(2)),
                       "non-empty 3D or 4D (batch mode) tensor expected for input, but got "
                       "[1, 1, 2, 3, 4]",
                       Error);
  CHECK_THROWS_WITH_AS(F::avg_pool2d(x, F::AvgPool2dFuncOptions(2)),
                       "non-empty 3D or 4D (batch mode) tensor expected for input, but got [2, 3]",
                       Error);
  CHECK_THROWS_WITH_AS(F::adaptive_avg_pool2d(x, 2),
                       "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [2, 3]", Error);
}
