// nn::utils: clip_grad_norm_ (2-norm, inf-norm, other orders, non-finite norms),
// clip_grad_value_, parameters_to_vector / vector_to_parameters round trips, and the
// parameter count. Expected values are worked out from PyTorch's definitions in the comments.
#include <doctest/doctest.h>

#include <cmath>

#include "ember/nn/linear.h"
#include "ember/nn/utils.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"

using namespace ember;
namespace utils = ember::nn::utils;

namespace {
// A leaf with the given values and the given gradient.
Tensor param_with_grad(const std::vector<double>& values, const std::vector<double>& grad) {
  Tensor p = tensor(values, {static_cast<std::int64_t>(values.size())}, kFloat64).requires_grad_();
  p.set_grad(tensor(grad, {static_cast<std::int64_t>(grad.size())}, kFloat64));
  return p;
}
}  // namespace

TEST_CASE("clip_grad_norm_: returns the total norm and scales by max_norm / (norm + 1e-6)") {
  // Gradients (3, 4) and (12): the 2-norm of all together is sqrt(9 + 16 + 144) = 13.
  Tensor a = param_with_grad({0, 0}, {3, 4});
  Tensor b = param_with_grad({0}, {12});
  Tensor no_grad = tensor({1.0}).requires_grad_();
  const double norm = utils::clip_grad_norm_({a, no_grad, b}, 6.5);
  CHECK(norm == doctest::Approx(13.0));
  const double coef = 6.5 / (13.0 + 1e-6);
  CHECK(a.grad().to_vector<double>()[0] == doctest::Approx(3 * coef).epsilon(1e-12));
  CHECK(b.grad().to_vector<double>()[0] == doctest::Approx(12 * coef).epsilon(1e-12));
  CHECK_FALSE(no_grad.grad().defined());

  // Under max_norm the coefficient clamps to 1: nothing changes.
  Tensor c = param_with_grad({0, 0}, {3, 4});
  CHECK(utils::clip_grad_norm_({c}, 100.0) == doctest::Approx(5.0));
  CHECK(c.grad().to_vector<double>() == std::vector<double>{3, 4});
  CHECK(utils::clip_grad_norm_({tensor({1.0})}, 1.0) == 0.0);  // no gradients at all
}

TEST_CASE("clip_grad_norm_: inf-norm, 1-norm and non-finite norms") {
  Tensor a = param_with_grad({0, 0, 0}, {-7, 2, 1});
  Tensor b = param_with_grad({0}, {5});
  CHECK(utils::clip_grad_norm_({a, b}, 100.0, INFINITY) == 7.0);
  CHECK(utils::clip_grad_norm_({a, b}, 100.0, 1.0) == 15.0);
  CHECK(utils::clip_grad_norm_({a, b}, 1.0, 3.0) ==
        doctest::Approx(std::cbrt(343.0 + 8 + 1 + 125)));

  Tensor inf = param_with_grad({0, 0}, {INFINITY, 1});
  CHECK_THROWS_WITH_AS(utils::clip_grad_norm_({inf}, 1.0, 2.0, /*error_if_nonfinite=*/true),
                       "The total norm of order 2.0 for gradients from `parameters` is "
                       "non-finite, so it cannot be clipped. To disable this error and scale the "
                       "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`",
                       Error);
  CHECK_THROWS_WITH_AS(utils::clip_grad_norm_({inf}, 1.0, INFINITY, true),
                       doctest::Contains("The total norm of order inf for gradients"), Error);
  // Without the error, an infinite norm scales every gradient by max_norm / inf = 0.
  CHECK(std::isinf(utils::clip_grad_norm_({inf}, 1.0)));
  CHECK(inf.grad().to_vector<double>()[1] == 0.0);
}

TEST_CASE("clip_grad_value_ clamps each gradient element") {
  Tensor a = param_with_grad({0, 0, 0}, {-3, 0.5, 2});
  utils::clip_grad_value_({a}, 1.0);
  CHECK(a.grad().to_vector<double>() == std::vector<double>{-1, 0.5, 1});
}

TEST_CASE("parameters_to_vector and vector_to_parameters round trip, and the count") {
  manual_seed(2);
  nn::Linear layer(3, 2);
  const std::vector<Tensor> params = layer.parameters();
  const Tensor vec = utils::parameters_to_vector(params);
  CHECK(vec.shape() == Shape{8});
  CHECK(vec.narrow(0, 0, 6).to_vector<float>() == layer.weight.to_vector<float>());
  CHECK(vec.narrow(0, 6, 2).to_vector<float>() == layer.bias.to_vector<float>());

  // The vector is differentiable: each parameter gets its slice of the gradient.
  (vec * arange(8).to(kFloat32)).sum().backward();
  CHECK(layer.bias.grad().to_vector<float>() == std::vector<float>{6, 7});

  utils::vector_to_parameters(arange(8).to(kFloat32), params);
  CHECK(layer.weight.to_vector<float>() == std::vector<float>{0, 1, 2, 3, 4, 5});
  CHECK(layer.bias.to_vector<float>() == std::vector<float>{6, 7});
  CHECK(layer.weight.requires_grad());
  CHECK(equal(utils::parameters_to_vector(params).detach(), arange(8).to(kFloat32)));

  CHECK_THROWS_WITH_AS(utils::vector_to_parameters(ones({7}), params),
                       "vector_to_parameters: expected a vector of 8 elements (the parameters' "
                       "total), found 7",
                       Error);
  CHECK_THROWS_WITH_AS(utils::vector_to_parameters(ones({2, 4}), params),
                       "vector_to_parameters: expected a 1-D vector, found shape (2, 4)", Error);

  CHECK(utils::parameter_count(layer) == 8);
  layer.bias.requires_grad_(false);
  CHECK(utils::parameter_count(layer, /*trainable_only=*/true) == 6);
  CHECK(utils::parameter_count(params) == 8);
}
