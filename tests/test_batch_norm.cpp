// BatchNorm2d and F::batch_norm: gradients in train and eval mode, running statistics,
// registration order, options and errors. (Values against PyTorch: test_nn_golden.cpp.)
#include <doctest/doctest.h>

#include "ember/nn/batch_norm.h"
#include "ember/nn/functional.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"
#include "ember/tensor/gradcheck.h"

namespace ember {
namespace {

namespace F = nn::functional;

Tensor rand64(const Shape& shape) { return randn(shape, kFloat64).requires_grad_(true); }

TEST_CASE("batch_norm: finite-difference gradients with batch statistics (training)") {
  manual_seed(11);
  // No running stats here: fn runs many times and must not change state between runs.
  auto train = [](const std::vector<Tensor>& in) {
    return F::batch_norm(in[0], Tensor(), Tensor(),
                         F::BatchNormFuncOptions().weight(in[1]).bias(in[2]).training(true));
  };
  CHECK(gradcheck(train, {rand64({3, 2, 2, 3}), rand64({2}), rand64({2})}));
  CHECK(gradcheck(train, {rand64({5, 3}), rand64({3}), rand64({3})}));
  CHECK(gradcheck(train, {rand64({2, 2, 4}), rand64({2}), rand64({2})}));
  auto no_affine = [](const std::vector<Tensor>& in) {
    return F::batch_norm(in[0], Tensor(), Tensor(), F::BatchNormFuncOptions().training(true));
  };
  CHECK(gradcheck(no_affine, {rand64({4, 2, 3})}));
}

TEST_CASE("batch_norm: finite-difference gradients with running statistics (eval)") {
  manual_seed(12);
  const Tensor mean = randn({3}, kFloat64), var = rand({3}, kFloat64) + 0.5;
  auto eval = [mean, var](const std::vector<Tensor>& in) {
    return F::batch_norm(in[0], mean, var, F::BatchNormFuncOptions().weight(in[1]).bias(in[2]));
  };
  CHECK(gradcheck(eval, {rand64({2, 3, 2, 2}), rand64({3}), rand64({3})}));
}

TEST_CASE("batch_norm: training normalises per channel and updates running stats in place") {
  manual_seed(13);
  const Tensor x = randn({8, 2, 3, 3}) * 3.0 + 1.0;
  Tensor running_mean = zeros({2}), running_var = ones({2});
  const Tensor y = F::batch_norm(x, running_mean, running_var,
                                 F::BatchNormFuncOptions().training(true).momentum(0.5).eps(0.0));
  // Each channel of y has mean 0 and biased variance 1.
  CHECK(y.mean({0, 2, 3}).abs().max().item() < 1e-5);
  CHECK(allclose(y.pow(2).mean({0, 2, 3}), ones({2}), 1e-4, 1e-4));
  // running_var takes the unbiased variance: n / (n - 1) times the biased one, n = 72.
  const Tensor batch_mean = x.mean({0, 2, 3});
  const Tensor biased = (x - batch_mean.view({1, 2, 1, 1})).pow(2).mean({0, 2, 3});
  CHECK(allclose(running_mean, batch_mean * 0.5, 1e-5, 1e-5));
  CHECK(allclose(running_var, biased * (72.0 / 71.0) * 0.5 + 0.5, 1e-5, 1e-5));
}

TEST_CASE("BatchNorm2d: parameters and buffers in PyTorch's order") {
  nn::BatchNorm2d bn(4);
  CHECK(bn.state_dict().keys() == std::vector<std::string>{"weight", "bias", "running_mean",
                                                           "running_var", "num_batches_tracked"});
  CHECK(bn.named_parameters().size() == 2);
  CHECK(equal(bn.weight, ones({4})));
  CHECK(equal(bn.bias, zeros({4})));
  CHECK(equal(bn.running_mean, zeros({4})));
  CHECK(equal(bn.running_var, ones({4})));
  CHECK(bn.num_batches_tracked.dtype() == kInt64);
  CHECK(bn.num_batches_tracked.dim() == 0);

  nn::BatchNorm2d plain(nn::BatchNorm2dOptions(4).affine(false).track_running_stats(false));
  CHECK(plain.state_dict().size() == 0);
  CHECK(plain.named_parameters().empty());
  nn::BatchNorm2d stats_only(nn::BatchNorm2dOptions(4).affine(false));
  CHECK(stats_only.state_dict().keys() ==
        std::vector<std::string>{"running_mean", "running_var", "num_batches_tracked"});
  CHECK_FALSE(stats_only.weight.defined());
}

TEST_CASE("BatchNorm2d: eps and momentum reach the layer; reset_parameters restores the start") {
  manual_seed(17);
  const Tensor x = randn({4, 2, 3, 3}) + 1.0;
  nn::BatchNorm2d bn(nn::BatchNorm2dOptions(2).eps(0.5).momentum(0.5));
  CHECK(bn.options.eps() == 0.5);
  const Tensor y = bn(x);
  CHECK(allclose(bn.running_mean, x.mean({0, 2, 3}) * 0.5, 1e-5, 1e-5));
  // eps 0.5 shrinks the output: its per-channel variance is var / (var + eps) < 1.
  CHECK(y.pow(2).mean({0, 2, 3}).max().item() < 0.9);

  {
    NoGradGuard no_grad;
    bn.weight.fill_(3.0);
  }
  bn.reset_running_stats();
  CHECK(equal(bn.running_mean, zeros({2})));
  CHECK(equal(bn.running_var, ones({2})));
  CHECK(bn.num_batches_tracked.item<std::int64_t>() == 0);
  CHECK(equal(bn.weight, full({2}, 3.0)));  // reset_running_stats leaves the parameters
  bn(x);
  bn.reset_parameters();
  CHECK(equal(bn.weight, ones({2})));
  CHECK(equal(bn.bias, zeros({2})));
  CHECK(equal(bn.running_mean, zeros({2})));
}

TEST_CASE("BatchNorm2d: train counts batches and moves running stats; eval uses them") {
  manual_seed(14);
  nn::BatchNorm2d bn(3);
  const Tensor x = randn({4, 3, 5, 5}) + 2.0;
  bn(x);
  bn(x);
  CHECK(bn.num_batches_tracked.item<std::int64_t>() == 2);
  // Twice with momentum 0.1 from 0: 0.19 of the batch mean.
  CHECK(allclose(bn.running_mean, x.mean({0, 2, 3}) * 0.19, 1e-5, 1e-5));

  bn.eval();
  const Tensor before = bn.running_mean.clone();
  const Tensor y = bn(x);
  CHECK(bn.num_batches_tracked.item<std::int64_t>() == 2);
  CHECK(equal(bn.running_mean, before));
  const Tensor expected = (x - bn.running_mean.view({1, 3, 1, 1})) /
                          (bn.running_var.view({1, 3, 1, 1}) + 1e-5).sqrt();
  CHECK(allclose(y, expected, 1e-5, 1e-5));
}

TEST_CASE("BatchNorm2d: momentum None keeps the cumulative average of batch statistics") {
  manual_seed(15);
  nn::BatchNorm2d bn(nn::BatchNorm2dOptions(2).momentum(std::nullopt));
  const Tensor a = randn({3, 2, 2, 2}), b = randn({3, 2, 2, 2}) + 1.0, c = randn({3, 2, 2, 2});
  for (const Tensor& x : {a, b, c}) bn(x);
  const Tensor average = (a.mean({0, 2, 3}) + b.mean({0, 2, 3}) + c.mean({0, 2, 3})) / 3.0;
  CHECK(allclose(bn.running_mean, average, 1e-5, 1e-6));
}

TEST_CASE("BatchNorm2d: without running stats, eval still normalises with the batch") {
  manual_seed(16);
  nn::BatchNorm2d bn(nn::BatchNorm2dOptions(2).track_running_stats(false));
  bn.eval();
  const Tensor y = bn(randn({4, 2, 3, 3}) * 5.0);
  CHECK(y.mean({0, 2, 3}).abs().max().item() < 1e-5);
}

TEST_CASE("batch_norm: errors") {
  CHECK_THROWS_WITH_AS(nn::BatchNorm2d(3)(randn({2, 3, 4})),
                       "BatchNorm2d: expected 4D input (got 3D input)", Error);
  CHECK_THROWS_WITH_AS(nn::BatchNorm2d(3)(randn({1, 3, 1, 1})),
                       "batch_norm: expected more than 1 value per channel when training, got "
                       "input size (1, 3, 1, 1)",
                       Error);
  CHECK_THROWS_WITH_AS(F::batch_norm(randn({2, 3}), zeros({4}), ones({3}),
                                    F::BatchNormFuncOptions().training(true)),
                       "batch_norm: running_mean should contain 3 elements not 4", Error);
  CHECK_THROWS_WITH_AS(F::batch_norm(randn({2, 3}), Tensor(), Tensor()),
                       "batch_norm: running_mean and running_var must be defined in evaluation mode",
                       Error);
  CHECK_THROWS_WITH_AS(F::batch_norm(randn({3}), Tensor(), Tensor(),
                                    F::BatchNormFuncOptions().training(true)),
                       "batch_norm: expected input of shape (N, C, *), found (3,)", Error);
  CHECK_THROWS_WITH_AS(nn::BatchNorm2d(0), "BatchNorm2d: expected num_features > 0, found 0", Error);
}

}  // namespace
}  // namespace ember
