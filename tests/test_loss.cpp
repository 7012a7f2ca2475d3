// softmax, log_softmax and the losses: finite-difference gradients in every mode, PyTorch's
// special cases (all targets ignored, probability targets), modules and errors. (Values
// against PyTorch: test_nn_golden.cpp.)
#include <doctest/doctest.h>

#include <cmath>

#include "ember/nn/functional.h"
#include "ember/nn/loss.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"
#include "ember/tensor/gradcheck.h"

namespace ember {
namespace {

namespace F = nn::functional;

Tensor rand64(const Shape& shape) { return randn(shape, kFloat64).requires_grad_(true); }

TEST_CASE("softmax and log_softmax: gradients along every dim, and stability") {
  manual_seed(21);
  for (std::int64_t dim : {0, 1, 2, -1}) {
    CAPTURE(dim);
    CHECK(gradcheck([dim](const std::vector<Tensor>& in) { return F::softmax(in[0], dim); },
                    {rand64({2, 3, 4})}));
    CHECK(gradcheck([dim](const std::vector<Tensor>& in) { return F::log_softmax(in[0], dim); },
                    {rand64({2, 3, 4})}));
  }
  // Huge logits neither overflow nor lose the answer.
  const Tensor big = tensor({1000.0, 1001.0, 1002.0});
  CHECK(allclose(F::softmax(big, 0), F::softmax(tensor({0.0, 1.0, 2.0}), 0)));
  CHECK(std::isfinite(F::log_softmax(big, 0).sum().item()));
  CHECK(allclose(F::softmax(randn({3, 5}), 1).sum({1}), ones({3})));
}

TEST_CASE("cross_entropy and nll_loss: gradients for every reduction, weight, ignore_index and "
          "label_smoothing") {
  manual_seed(22);
  const Tensor target = tensor_int64({0, 3, 1, -100, 2, 1}, {6});
  const Tensor weight = rand({4}, kFloat64) + 0.5;
  for (const char* reduction : {"mean", "sum", "none"}) {
    for (bool weighted : {false, true}) {
      for (double smoothing : {0.0, 0.25}) {
        CAPTURE(reduction);
        CAPTURE(weighted);
        CAPTURE(smoothing);
        const Tensor w = weighted ? weight : Tensor();
        CHECK(gradcheck(
            [&](const std::vector<Tensor>& in) {
              return F::cross_entropy(
                  in[0], target,
                  F::CrossEntropyFuncOptions().weight(w).reduction(reduction).label_smoothing(
                      smoothing));
            },
            {rand64({6, 4})}));
        CHECK(gradcheck(
            [&](const std::vector<Tensor>& in) {
              return F::cross_entropy(in[0], target.clamp(0, 3),
                                      F::CrossEntropyFuncOptions()
                                          .weight(w)
                                          .ignore_index(1)
                                          .reduction(reduction)
                                          .label_smoothing(smoothing));
            },
            {rand64({6, 4})}));
        CHECK(gradcheck(
            [&](const std::vector<Tensor>& in) {
              return F::nll_loss(in[0], target,
                                 F::NLLLossFuncOptions().weight(w).reduction(reduction));
            },
            {rand64({6, 4})}));
      }
    }
  }
  // (N, C, d) inputs with (N, d) targets, and a single (C) sample with a 0-d target.
  const Tensor t_kd = tensor_int64({0, 2, -100, 1, 1, 0}, {2, 3});
  CHECK(gradcheck([&](const std::vector<Tensor>& in) {
    return F::cross_entropy(in[0], t_kd, F::CrossEntropyFuncOptions().label_smoothing(0.1));
  }, {rand64({2, 3, 3})}));
  const Tensor t0 = tensor_int64({2}).view({});
  CHECK(gradcheck([&](const std::vector<Tensor>& in) { return F::cross_entropy(in[0], t0); },
                  {rand64({4})}));
}

TEST_CASE("cross_entropy: probability targets, gradients into input and target") {
  manual_seed(23);
  for (const char* reduction : {"mean", "sum", "none"}) {
    CAPTURE(reduction);
    CHECK(gradcheck(
        [&](const std::vector<Tensor>& in) {
          return F::cross_entropy(
              in[0], in[1],
              F::CrossEntropyFuncOptions().reduction(reduction).label_smoothing(0.2));
        },
        {rand64({3, 4}), F::softmax(randn({3, 4}, kFloat64), 1).requires_grad_(true)}));
  }
  // One-hot probabilities give the same loss as the class indices.
  const Tensor x = randn({3, 4});
  const Tensor onehot = tensor({0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1}, {3, 4});
  CHECK(allclose(F::cross_entropy(x, onehot), F::cross_entropy(x, tensor_int64({1, 0, 3}, {3}))));
}

TEST_CASE("mse_loss: gradients for input and target, and broadcasting") {
  manual_seed(24);
  for (const char* reduction : {"mean", "sum", "none"}) {
    CAPTURE(reduction);
    CHECK(gradcheck(
        [&](const std::vector<Tensor>& in) {
          return F::mse_loss(in[0], in[1], nn::Reduction(reduction));
        },
        {rand64({3, 4}), rand64({3, 4})}));
  }
  CHECK(gradcheck([](const std::vector<Tensor>& in) { return F::mse_loss(in[0], in[1]); },
                  {rand64({3, 4}), rand64({4})}));
  CHECK(F::mse_loss(tensor({1, 2}), tensor({3, 2})).item() == 2.0);
}

TEST_CASE("losses: PyTorch's edge cases") {
  const Tensor x = randn({3, 4});
  const Tensor all_ignored = tensor_int64({-100, -100, -100}, {3});
  // "mean" over no targets is 0 / 0, as in PyTorch.
  CHECK(std::isnan(F::cross_entropy(x, all_ignored).item()));
  CHECK(std::isnan(
      F::cross_entropy(x, all_ignored, F::CrossEntropyFuncOptions().label_smoothing(0.1)).item()));
  CHECK(F::cross_entropy(x, all_ignored, F::CrossEntropyFuncOptions().reduction("sum")).item() ==
        0.0);
  // Ignored entries of "none" are 0; the kept ones equal -log_softmax at the target.
  const Tensor none = F::cross_entropy(x, tensor_int64({1, -100, 2}, {3}),
                                       F::CrossEntropyFuncOptions().reduction("none"));
  CHECK(none.shape() == Shape{3});
  CHECK(none.at({1}) == 0.0);
  CHECK(none.at({0}) == doctest::Approx(-F::log_softmax(x, 1).at({0, 1})));
  // Weighted mean divides by the summed weights of the counted targets.
  const Tensor w = tensor({1, 2, 3, 4});
  const Tensor logp = F::log_softmax(x, 1);
  const double expected = -(1 * logp.at({0, 0}) + 4 * logp.at({2, 3})) / 5.0;
  CHECK(F::nll_loss(logp, tensor_int64({0, -100, 3}, {3}), F::NLLLossFuncOptions().weight(w))
            .item() ==
        doctest::Approx(expected));
}

TEST_CASE("loss modules: options, weight buffer, forward") {
  manual_seed(25);
  const Tensor x = randn({5, 3}), t = tensor_int64({0, 2, 1, 1, 0}, {5});
  const Tensor weight = tensor({1, 2, 3});
  nn::CrossEntropyLoss criterion(nn::CrossEntropyLossOptions()
                                     .weight(weight)
                                     .reduction(nn::Reduction::sum)
                                     .label_smoothing(0.1));
  CHECK(criterion.options.reduction() == nn::Reduction::sum);
  CHECK(criterion.options.label_smoothing() == 0.1);
  CHECK(criterion.state_dict().keys() == std::vector<std::string>{"weight"});
  const double by_hand = -(F::log_softmax(x, 1) * weight).sum().item() * 0.1 / 3.0 +
                         0.9 * F::nll_loss(F::log_softmax(x, 1), t,
                                           F::NLLLossFuncOptions().weight(weight).reduction("sum"))
                                   .item();
  CHECK(criterion(x, t).item() == doctest::Approx(by_hand));
  CHECK(nn::CrossEntropyLoss().state_dict().size() == 0);
  // Every setter reaches the loss: each option alone changes the result.
  const double plain = nn::CrossEntropyLoss()(x, t).item();
  CHECK(nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().ignore_index(0))(x, t).item() != plain);
  CHECK(nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().reduction("sum"))(x, t).item() ==
        doctest::Approx(5 * plain));

  nn::NLLLoss nll(nn::NLLLossOptions().ignore_index(2));
  CHECK(nll(x, t).item() ==
        doctest::Approx(F::nll_loss(x, t, F::NLLLossFuncOptions().ignore_index(2)).item()));
  CHECK(nll(x, t).item() != doctest::Approx(F::nll_loss(x, t).item()));
  CHECK(nn::MSELoss(nn::MSELossOptions().reduction(nn::Reduction::none))(x, x * 2.0).shape() ==
        Shape{5, 3});
  CHECK(nn::MSELoss(nn::MSELossOptions(nn::Reduction::sum))(x, x * 2.0).item() ==
        doctest::Approx(x.pow(2).sum().item()));
}

TEST_CASE("losses: errors") {
  const Tensor x = randn({3, 4});
  CHECK_THROWS_WITH_AS(nn::Reduction("avg"),
                       "avg is not a valid value for reduction (expected 'none', 'mean' or 'sum')",
                       Error);
  CHECK_THROWS_WITH_AS(F::nll_loss(x, tensor_int64({0, 5, 1}, {3})),
                       "nll_loss: Target 5 is out of bounds.", Error);
  CHECK_THROWS_WITH_AS(F::cross_entropy(x, tensor_int64({0, -1, 1}, {3})),
                       "cross_entropy: Target -1 is out of bounds.", Error);
  CHECK_THROWS_WITH_AS(F::nll_loss(x, tensor_int64({0, 1}, {2})),
                       "nll_loss: Expected input batch_size (3) to match target batch_size (2).",
                       Error);
  CHECK_THROWS_WITH_AS(F::nll_loss(randn({2, 3, 5}), zeros({2, 4}, kInt64)),
                       "nll_loss: expected target of shape (2, 5) for input of shape (2, 3, 5), "
                       "found (2, 4)",
                       Error);
  CHECK_THROWS_WITH_AS(F::nll_loss(x, tensor({0, 1, 1})),
                       "nll_loss: expected a target of int64 class indices, found float32", Error);
  CHECK_THROWS_WITH_AS(F::nll_loss(x, tensor_int64({0, 1, 1}, {3}),
                                  F::NLLLossFuncOptions().weight(ones({3}))),
                       "nll_loss: weight tensor should be defined either for all 4 classes or no "
                       "classes but got weight tensor of shape: (3,)",
                       Error);
  CHECK_THROWS_WITH_AS(F::cross_entropy(x, tensor_int64({0, 1, 1}, {3}),
                                       F::CrossEntropyFuncOptions().label_smoothing(1.5)),
                       "cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: 1.5",
                       Error);
  CHECK_THROWS_WITH_AS(F::cross_entropy(x, rand({3, 4}),
                                       F::CrossEntropyFuncOptions().ignore_index(1)),
                       "cross_entropy: ignore_index is not supported for floating point target",
                       Error);
  CHECK_THROWS_WITH_AS(F::cross_entropy(x, rand({3, 5})),
                       "cross_entropy: expected a target of class probabilities of shape (3, 4), "
                       "found (3, 5)",
                       Error);
  CHECK_THROWS_WITH_AS(F::mse_loss(x, randn({3, 5})),
                       "mse_loss: the size of tensor a (4) must match the size of tensor b (5) at "
                       "non-singleton dimension 1 (shapes (3, 4) and (3, 5))",
                       Error);
  CHECK_THROWS_WITH_AS(F::softmax(x, 2),
                       "softmax: dimension out of range (expected to be in range of [-2, 1], but "
                       "got 2)",
                       Error);
  CHECK_THROWS_WITH_AS(nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().label_smoothing(-0.1)),
                       "CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0. Got: -0.1",
                       Error);
}

}  // namespace
}  // namespace ember
