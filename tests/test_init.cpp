// nn::init: the statistics of each fill on large tensors, fans, gains, in-place semantics and
// PyTorch's error messages.
#include <doctest/doctest.h>

#include <cmath>

#include "ember/nn/init.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"

namespace ember {
namespace {

namespace init = nn::init;

struct Stats {
  double mean = 0, std = 0, min = INFINITY, max = -INFINITY;
};

Stats stats_of(const Tensor& t) {
  const std::vector<double> v = t.to_vector<double>();
  Stats s;
  double squares = 0;
  for (double x : v) {
    s.mean += x;
    squares += x * x;
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
  }
  s.mean /= v.size();
  s.std = std::sqrt(squares / v.size() - s.mean * s.mean);
  return s;
}

TEST_CASE("init: uniform_ and normal_ have the asked-for statistics") {
  manual_seed(31);
  Tensor t = empty({500, 400});
  init::uniform_(t, -2.0, 3.0);
  Stats s = stats_of(t);
  CHECK(s.min >= -2.0);
  CHECK(s.max < 3.0);
  CHECK(s.mean == doctest::Approx(0.5).epsilon(0.01));
  CHECK(s.std == doctest::Approx(5.0 / std::sqrt(12.0)).epsilon(0.01));

  init::normal_(t, 1.0, 0.5);
  s = stats_of(t);
  CHECK(s.mean == doctest::Approx(1.0).epsilon(0.01));
  CHECK(s.std == doctest::Approx(0.5).epsilon(0.01));

  init::constant_(t, 0.25);
  CHECK(equal(t, full({500, 400}, 0.25)));
  init::zeros_(t);
  CHECK(equal(t, zeros({500, 400})));
  init::ones_(t);
  CHECK(equal(t, ones({500, 400})));
}

TEST_CASE("init: xavier and kaiming follow PyTorch's formulas") {
  manual_seed(32);
  // A conv-shaped weight (out 64, in 32, 3x3): fan_in = 288, fan_out = 576.
  Tensor w = empty({64, 32, 3, 3});
  CHECK(init::calculate_fan_in_and_fan_out(w) == std::pair<std::int64_t, std::int64_t>{288, 576});

  init::xavier_uniform_(w, 2.0);
  const double xavier_std = 2.0 * std::sqrt(2.0 / (288 + 576));
  Stats s = stats_of(w);
  CHECK(s.max <= std::sqrt(3.0) * xavier_std);
  CHECK(s.max > 0.99 * std::sqrt(3.0) * xavier_std);
  CHECK(s.std == doctest::Approx(xavier_std).epsilon(0.02));

  init::xavier_normal_(w);
  CHECK(stats_of(w).std == doctest::Approx(std::sqrt(2.0 / (288 + 576))).epsilon(0.02));

  init::kaiming_uniform_(w, 0.0, "fan_in", "relu");
  s = stats_of(w);
  const double he_std = std::sqrt(2.0) / std::sqrt(288.0);
  CHECK(s.max <= std::sqrt(3.0) * he_std);
  CHECK(s.std == doctest::Approx(he_std).epsilon(0.02));

  init::kaiming_normal_(w, 0.0, "fan_out", "relu");
  s = stats_of(w);
  CHECK(std::abs(s.mean) < 0.002);
  CHECK(s.std == doctest::Approx(std::sqrt(2.0) / std::sqrt(576.0)).epsilon(0.02));

  // The layers' default: a = sqrt(5) gives the bound 1 / sqrt(fan_in).
  init::kaiming_uniform_(w, std::sqrt(5.0));
  s = stats_of(w);
  CHECK(s.max <= 1.0 / std::sqrt(288.0));
  CHECK(s.max > 0.99 / std::sqrt(288.0));
}

TEST_CASE("init: calculate_gain") {
  CHECK(init::calculate_gain("linear") == 1.0);
  CHECK(init::calculate_gain("conv_transpose2d") == 1.0);
  CHECK(init::calculate_gain("tanh") == 5.0 / 3.0);
  CHECK(init::calculate_gain("relu") == std::sqrt(2.0));
  CHECK(init::calculate_gain("leaky_relu") == std::sqrt(2.0 / (1 + 0.01 * 0.01)));
  CHECK(init::calculate_gain("leaky_relu", 0.0) == std::sqrt(2.0));
  CHECK(init::calculate_gain("selu") == 0.75);
}

TEST_CASE("init: fills parameters in place under no-grad, bumping the version") {
  manual_seed(33);
  Tensor p = zeros({3, 4}).requires_grad_(true);
  Tensor alias = p;
  const auto version = p.storage()->version();
  init::normal_(p, 0.0, 0.001);
  CHECK(p.is_leaf());
  CHECK(p.requires_grad());
  CHECK(p.storage()->version() > version);
  CHECK(alias.abs().max().item() > 0.0);  // the same storage was filled
  // A non-contiguous view fills its own elements only.
  Tensor big = zeros({4, 4});
  init::ones_(big.t().narrow(0, 1, 2));
  CHECK(big.sum().item() == 8.0);
  Tensor column = big.narrow(1, 3, 1);
  init::uniform_(column, 5.0, 6.0);
  CHECK(stats_of(big.narrow(1, 3, 1)).min >= 5.0);
  CHECK(big.narrow(1, 0, 3).sum().item() == 8.0);
}

TEST_CASE("init: seeded generators reproduce the same draws") {
  Generator a(7), b(7);
  Tensor x = empty({10}), y = empty({10});
  init::kaiming_normal_(empty({2, 5}), 0.0, "fan_in", "leaky_relu", &a);
  init::kaiming_normal_(empty({2, 5}), 0.0, "fan_in", "leaky_relu", &b);
  init::uniform_(x, 0, 1, &a);
  init::uniform_(y, 0, 1, &b);
  CHECK(equal(x, y));
}

TEST_CASE("init: errors in PyTorch's words") {
  CHECK_THROWS_WITH_AS(init::xavier_uniform_(empty({5})),
                       "Fan in and fan out can not be computed for tensor with fewer than 2 "
                       "dimensions",
                       Error);
  CHECK_THROWS_WITH_AS(init::kaiming_uniform_(empty({3, 3}), 0.0, "fan_avg"),
                       "Mode fan_avg not supported, please use one of ['fan_in', 'fan_out']", Error);
  CHECK_THROWS_WITH_AS(init::calculate_gain("swish"), "Unsupported nonlinearity swish", Error);
  CHECK_THROWS_WITH_AS(init::uniform_(empty({2}), 1.0, 0.0),
                       "uniform_: expects to return a [from, to) range, but found from=1 > to=0",
                       Error);
  CHECK_THROWS_WITH_AS(init::normal_(empty({2}), 0.0, -1.0),
                       "normal_: expects std >= 0.0, but found std -1", Error);
  CHECK_THROWS_WITH_AS(init::normal_(empty({2}, kInt64)),
                       "normal_: expected a float32 or float64 tensor, found int64", Error);
}

}  // namespace
}  // namespace ember
