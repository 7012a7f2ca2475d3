// Dropout and F::dropout: identity in eval and for p = 0, the train-mode scale and fraction
// dropped, gradients through the same mask, reproducibility and errors.
#include <doctest/doctest.h>

#include "ember/nn/dropout.h"
#include "ember/nn/functional.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"

namespace ember {
namespace {

namespace F = nn::functional;

TEST_CASE("dropout: identity in eval mode and for p = 0") {
  const Tensor x = randn({4, 5});
  CHECK(F::dropout(x, F::DropoutFuncOptions().training(false)).is_same(x));
  CHECK(F::dropout(x, F::DropoutFuncOptions().p(0.0)).is_same(x));
  nn::Dropout layer(0.3);
  layer.eval();
  CHECK(equal(layer(x), x));
}

TEST_CASE("dropout: train mode zeroes about p of the elements and scales the rest by 1/(1-p)") {
  Generator gen(41);
  const Tensor x = ones({200, 500});
  const Tensor y = F::dropout(x, F::DropoutFuncOptions().p(0.3).generator(&gen));
  const std::vector<float> v = y.to_vector<float>();
  std::int64_t dropped = 0, misscaled = 0;
  for (float e : v) {
    if (e == 0.0f) ++dropped;
    else if (e != static_cast<float>(1.0 / 0.7)) ++misscaled;
  }
  CHECK(misscaled == 0);
  CHECK(double(dropped) / v.size() == doctest::Approx(0.3).epsilon(0.02));
  CHECK(y.mean().item() == doctest::Approx(1.0).epsilon(0.01));  // expectation preserved
  CHECK(equal(F::dropout(x, F::DropoutFuncOptions().p(1.0).generator(&gen)), zeros({200, 500})));
}

TEST_CASE("dropout: the gradient goes through the same mask") {
  Generator gen(42);
  const Tensor x = randn({6, 7}).requires_grad_(true);
  const Tensor y = F::dropout(x, F::DropoutFuncOptions().generator(&gen));
  y.sum().backward();
  // dy/dx is 0 where dropped and 2 where kept: exactly y / x.
  CHECK(allclose(x.grad() * x.detach(), y.detach(), 1e-5, 1e-6));
}

TEST_CASE("dropout: a seeded generator gives the same mask") {
  Generator a(43), b(43);
  nn::Dropout first(0.5, &a), second(0.5, &b);
  const Tensor x = randn({10, 10});
  CHECK(equal(first(x), second(x)));
  manual_seed(44);
  const Tensor p = F::dropout(x);
  manual_seed(44);
  CHECK(equal(F::dropout(x), p));
}

TEST_CASE("Dropout: DropoutOptions' p reaches the layer") {
  Generator gen(45);
  nn::Dropout drop(nn::DropoutOptions().p(1.0), &gen);
  CHECK(drop.options.p() == 1.0);
  CHECK(equal(drop(ones({3, 4})), zeros({3, 4})));
  drop.eval();
  CHECK(equal(drop(ones({3, 4})), ones({3, 4})));
}

TEST_CASE("dropout: p outside [0, 1] is an error") {
  CHECK_THROWS_WITH_AS(nn::Dropout(1.5), "dropout probability has to be between 0 and 1, but got 1.5",
                       Error);
  CHECK_THROWS_WITH_AS(F::dropout(randn({2}), F::DropoutFuncOptions().p(-0.1)),
                       "dropout probability has to be between 0 and 1, but got -0.1", Error);
}

}  // namespace
}  // namespace ember
