// Linear and F::linear: gradients, default initialisation, registration and errors.
#include <doctest/doctest.h>

#include <cmath>

#include "ember/nn/functional.h"
#include "ember/nn/linear.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"
#include "ember/tensor/gradcheck.h"

namespace ember {
namespace {

namespace F = nn::functional;

Tensor rand64(const Shape& shape) { return randn(shape, kFloat64).requires_grad_(true); }

TEST_CASE("linear: finite-difference gradients for input, weight and bias") {
  manual_seed(1);
  auto fn = [](const std::vector<Tensor>& in) { return F::linear(in[0], in[1], in[2]); };
  CHECK(gradcheck(fn, {rand64({4, 5}), rand64({3, 5}), rand64({3})}));
  CHECK(gradcheck(fn, {rand64({2, 3, 5}), rand64({3, 5}), rand64({3})}));
  CHECK(gradcheck(fn, {rand64({5}), rand64({3, 5}), rand64({3})}));
  auto no_bias = [](const std::vector<Tensor>& in) { return F::linear(in[0], in[1]); };
  CHECK(gradcheck(no_bias, {rand64({4, 5}), rand64({2, 5})}));
  // A transposed (non-contiguous) input and only the weight requiring grad.
  auto transposed = [](const std::vector<Tensor>& in) { return F::linear(in[0].t(), in[1]); };
  CHECK(gradcheck(transposed, {randn({5, 4}, kFloat64), rand64({2, 5})}));
}

TEST_CASE("linear: equals x W^T + b and records AddmmBackward0") {
  manual_seed(2);
  const Tensor x = randn({6, 7}), w = randn({3, 7}).requires_grad_(true), b = randn({3});
  const Tensor y = F::linear(x, w, b);
  CHECK(y.shape() == Shape{6, 3});
  CHECK(allclose(y, matmul(x, w.t()) + b, 1e-5, 1e-6));
  REQUIRE(y.grad_fn() != nullptr);
  CHECK(y.grad_fn()->name == "AddmmBackward0");
  CHECK(F::linear(randn({2, 4, 7}), w).shape() == Shape{2, 4, 3});
  CHECK(F::linear(randn({7}), w).shape() == Shape{3});
  CHECK(F::linear(randn({0, 7}), w).shape() == Shape{0, 3});
  // No input features: the output is the bias alone.
  CHECK(equal(nn::Linear(0, 2)(zeros({4, 0})), zeros({4, 2})));
}

TEST_CASE("Linear: registration, PyTorch's default initialisation and forward") {
  manual_seed(3);
  nn::Linear fc(400, 120);
  const auto params = fc.named_parameters();
  REQUIRE(params.size() == 2);
  CHECK(params[0].first == "weight");
  CHECK(params[1].first == "bias");
  CHECK(fc.weight.shape() == Shape{120, 400});
  CHECK(fc.bias.shape() == Shape{120});
  CHECK(fc.weight.requires_grad());
  CHECK(fc.weight.is_same(params[0].second));

  // kaiming_uniform_(a = sqrt(5)) is U(-1/sqrt(400), 1/sqrt(400)) = U(-0.05, 0.05): its mean is
  // 0 and its standard deviation 0.05 / sqrt(3).
  const std::vector<double> w = fc.weight.to_vector<double>();
  double sum = 0, squares = 0, largest = 0;
  for (double v : w) {
    sum += v;
    squares += v * v;
    largest = std::max(largest, std::abs(v));
  }
  const double mean = sum / w.size(), std = std::sqrt(squares / w.size() - mean * mean);
  CHECK(largest <= 0.05);
  CHECK(largest > 0.049);
  CHECK(std::abs(mean) < 0.001);
  CHECK(std == doctest::Approx(0.05 / std::sqrt(3.0)).epsilon(0.02));
  CHECK(fc.bias.abs().max().item() <= 0.05);

  nn::Linear no_bias(nn::LinearOptions(3, 2).bias(false));
  CHECK_FALSE(no_bias.options.bias());
  CHECK(no_bias.named_parameters().size() == 1);
  CHECK_FALSE(no_bias.bias.defined());
  CHECK(no_bias(randn({4, 3})).shape() == Shape{4, 2});
}

TEST_CASE("Linear: options name the sizes; reset_parameters draws again within the bound") {
  nn::Linear fc(nn::LinearOptions(2, 5).in_features(16).out_features(3));
  CHECK(fc.options.in_features() == 16);
  CHECK(fc.options.out_features() == 3);
  CHECK(fc.weight.shape() == Shape{3, 16});
  const Tensor weight_before = fc.weight.clone(), bias_before = fc.bias.clone();
  fc.reset_parameters();
  CHECK_FALSE(equal(fc.weight, weight_before));
  CHECK_FALSE(equal(fc.bias, bias_before));
  CHECK(fc.weight.abs().max().item() <= 0.25);  // 1 / sqrt(in_features)
  CHECK(fc.bias.abs().max().item() <= 0.25);
}

TEST_CASE("Linear: runs in float64 after to(kFloat64)") {
  nn::Linear fc(3, 2);
  fc.to(kFloat64);
  CHECK(fc.weight.dtype() == kFloat64);
  CHECK(fc(randn({4, 3}, kFloat64)).dtype() == kFloat64);
}

TEST_CASE("linear: errors name the shapes and dtypes") {
  const Tensor w = randn({2, 5});
  CHECK_THROWS_WITH_AS(F::linear(randn({4, 3}), w),
                       "linear: input's last dim is 3 (input shape (4, 3)), expected in_features "
                       "= 5 (weight shape (2, 5))",
                       Error);
  CHECK_THROWS_WITH_AS(F::linear(randn({4, 5}, kFloat64), w),
                       "linear: expected input and weight of one dtype, found float64 and float32",
                       Error);
  CHECK_THROWS_WITH_AS(F::linear(randn({4, 5}), w, randn({3})),
                       "linear: expected bias of shape (2,), found (3,)", Error);
  CHECK_THROWS_WITH_AS(F::linear(randn({4, 5}), randn({10})),
                       "linear: expected weight of shape (out_features, in_features), found (10,)",
                       Error);
  CHECK_THROWS_WITH_AS(nn::Linear(-1, 3),
                       "Linear: expected non-negative in_features and out_features, found -1 and 3",
                       Error);
}

}  // namespace
}  // namespace ember
