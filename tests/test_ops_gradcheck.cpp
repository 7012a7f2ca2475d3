// Finite-difference gradient checks (float64) for every differentiable op in tensor/ops.h, the
// differentiable views, and in-place ops inside a graph; broadcasting cases included.
#include <doctest/doctest.h>

#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"
#include "ember/tensor/gradcheck.h"

using namespace ember;

namespace {

using Inputs = std::vector<Tensor>;

// A float64 leaf of normal values that requires grad.
Tensor leaf(const Shape& shape) { return randn(shape, kFloat64).requires_grad_(); }

// A float64 leaf with values in [lo, hi) (domains such as log's, or away from kinks).
Tensor leaf_in(const Shape& shape, double lo, double hi) {
  Tensor t = rand(shape, kFloat64) * (hi - lo) + lo;
  return t.detach().requires_grad_();
}

// A float64 leaf whose values are at least `gap` away from 0 (for abs and relu's kink).
Tensor leaf_away_from_zero(const Shape& shape, double gap = 0.1) {
  Tensor r = rand(shape, kFloat64) + gap;                       // [gap, 1 + gap)
  Tensor sign = where(gt(rand(shape, kFloat64), 0.5), ones(shape, kFloat64),
                      full(shape, -1.0, kFloat64));
  return (r * sign).detach().requires_grad_();
}

}  // namespace

TEST_CASE("gradcheck: binary ops broadcast") {
  manual_seed(1);
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{3, 4}, {3, 4}}, {{3, 4}, {4}}, {{3, 1}, {1, 4}}, {{2, 3, 4}, {3, 1}}, {{}, {2, 3}},
      {{5}, {}}};
  for (const auto& [sa, sb] : shapes) {
    CAPTURE(shape_str(sa));
    CAPTURE(shape_str(sb));
    Tensor a = leaf(sa), b = leaf(sb);
    Tensor b_pos = leaf_in(sb, 0.5, 2.0);
    CHECK(gradcheck([](const Inputs& x) { return x[0] + x[1]; }, {a, b}));
    CHECK(gradcheck([](const Inputs& x) { return x[0] - x[1]; }, {a, b}));
    CHECK(gradcheck([](const Inputs& x) { return x[0] * x[1]; }, {a, b}));
    CHECK(gradcheck([](const Inputs& x) { return x[0] / x[1]; }, {a, b_pos}));
    CHECK(gradcheck([](const Inputs& x) { return add(x[0], x[1], 2.5); }, {a, b}));
    CHECK(gradcheck([](const Inputs& x) { return sub(x[0], x[1], -0.75); }, {a, b}));
    CHECK(gradcheck([](const Inputs& x) { return mul(x[1], x[0]); }, {a, b}));
    CHECK(gradcheck([](const Inputs& x) { return div(x[0], x[1]); }, {a, b_pos}));
  }
}

TEST_CASE("gradcheck: one operand constant, the same tensor twice") {
  manual_seed(2);
  Tensor a = leaf({3, 4});
  Tensor c = randn({4}, kFloat64);  // does not require grad
  CHECK(gradcheck([](const Inputs& x) { return x[0] * x[1]; }, {a, c}));
  CHECK(gradcheck([](const Inputs& x) { return x[0] * x[0] + x[0]; }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return (x[0] * x[0]) / (x[0] * x[0] + 1.0); }, {a}));
}

TEST_CASE("gradcheck: tensor-scalar ops") {
  manual_seed(3);
  Tensor a = leaf({2, 3});
  Tensor p = leaf_in({2, 3}, 0.5, 2.0);
  CHECK(gradcheck([](const Inputs& x) { return x[0] + 1.5; }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0] - 1.5; }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0] * -2.5; }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0] / 4.0; }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return 1.5 + x[0]; }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return 1.5 - x[0]; }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return -2.5 * x[0]; }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return 3.0 / x[0]; }, {p}));
  CHECK(gradcheck([](const Inputs& x) { return -x[0]; }, {a}));
}

TEST_CASE("gradcheck: unary ops") {
  manual_seed(4);
  Tensor a = leaf({3, 5});
  Tensor pos = leaf_in({3, 5}, 0.2, 3.0);
  Tensor away = leaf_away_from_zero({3, 5});
  CHECK(gradcheck([](const Inputs& x) { return neg(x[0]); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].neg(); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return exp(x[0]); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return log(x[0]); }, {pos}));
  CHECK(gradcheck([](const Inputs& x) { return sqrt(x[0]); }, {pos}));
  CHECK(gradcheck([](const Inputs& x) { return abs(x[0]); }, {away}));
  CHECK(gradcheck([](const Inputs& x) { return tanh(x[0]); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return sigmoid(x[0]); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return relu(x[0]); }, {away}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].exp().log(); }, {a}));
}

TEST_CASE("gradcheck: pow with scalar exponents") {
  manual_seed(5);
  Tensor a = leaf({4, 3});
  Tensor pos = leaf_in({4, 3}, 0.3, 2.0);
  for (double p : {0.0, 1.0, 2.0, 3.0, -1.0}) {
    CAPTURE(p);
    CHECK(gradcheck([p](const Inputs& x) { return pow(x[0], p); }, {leaf_away_from_zero({4, 3})}));
  }
  for (double p : {0.5, -1.5, 2.7}) {
    CAPTURE(p);
    CHECK(gradcheck([p](const Inputs& x) { return x[0].pow(p); }, {pos}));
  }
  CHECK(gradcheck([](const Inputs& x) { return pow(x[0], 2.0); }, {a}));
}

TEST_CASE("gradcheck: clamp away from its bounds") {
  manual_seed(6);
  // Values spread over [-2, 2) but not within 0.05 of the bounds -1 and 0.5.
  Tensor x = tensor({-1.9, -1.2, -0.9, -0.3, 0.1, 0.45, 0.6, 1.7}, {2, 4}, kFloat64);
  x.requires_grad_();
  CHECK(gradcheck([](const Inputs& v) { return clamp(v[0], -1.0, 0.5); }, {x}));
  CHECK(gradcheck([](const Inputs& v) { return v[0].clamp(-5.0, 5.0); }, {x}));
}

TEST_CASE("gradcheck: sum and mean") {
  manual_seed(7);
  Tensor a = leaf({2, 3, 4});
  CHECK(gradcheck([](const Inputs& x) { return sum(x[0]); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].mean(); }, {a}));
  for (bool keepdim : {false, true}) {
    CAPTURE(keepdim);
    for (const Shape& dims : std::vector<Shape>{{0}, {1}, {-1}, {0, 2}, {2, 0}, {0, 1, 2}}) {
      CAPTURE(shape_str(dims));
      CHECK(gradcheck([dims, keepdim](const Inputs& x) { return sum(x[0], dims, keepdim); }, {a}));
      CHECK(gradcheck([dims, keepdim](const Inputs& x) { return x[0].mean(dims, keepdim); }, {a}));
    }
  }
  Tensor s = leaf({});
  CHECK(gradcheck([](const Inputs& x) { return x[0].sum(); }, {s}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].sum({0}); }, {s}));
  // A reduction of a non-contiguous view.
  CHECK(gradcheck([](const Inputs& x) { return x[0].transpose(0, 2).sum({1}); }, {a}));
}

TEST_CASE("gradcheck: max and max over a dim") {
  manual_seed(8);
  Tensor a = leaf({3, 4, 5});  // continuous random values: no ties
  for (std::int64_t dim : {0, 1, 2, -1}) {
    for (bool keepdim : {false, true}) {
      CAPTURE(dim);
      CAPTURE(keepdim);
      CHECK(gradcheck([dim, keepdim](const Inputs& x) { return max(x[0], dim, keepdim).first; },
                      {a}));
    }
  }
  CHECK(gradcheck([](const Inputs& x) { return x[0].max(); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].max(1).first * 2.0; }, {a}));
}

TEST_CASE("gradcheck: sum_to undoes broadcasting") {
  manual_seed(9);
  Tensor a = leaf({2, 3, 4});
  for (const Shape& to : std::vector<Shape>{{2, 3, 4}, {3, 4}, {4}, {1, 4}, {3, 1}, {1}, {},
                                            {2, 1, 4}, {1, 1, 1}}) {
    CAPTURE(shape_str(to));
    CHECK(gradcheck([to](const Inputs& x) { return sum_to(x[0], to); }, {a}));
  }
}

TEST_CASE("gradcheck: matmul in every rank combination") {
  manual_seed(10);
  struct Case {
    Shape a, b;
  };
  const std::vector<Case> cases = {
      {{4}, {4}},             // dot
      {{3, 4}, {4}},          // matrix-vector
      {{4}, {4, 2}},          // vector-matrix
      {{3, 4}, {4, 2}},       // matrix-matrix
      {{2, 3, 4}, {2, 4, 5}}, // batched
      {{2, 3, 4}, {4, 5}},    // batched @ matrix (one folded GEMM)
      {{3, 4}, {2, 4, 5}},    // matrix @ batched
      {{2, 1, 3, 4}, {5, 4, 2}},  // broadcast batch dims
      {{4}, {2, 4, 3}},       // vector @ batched
      {{2, 3, 4}, {4}},       // batched @ vector
      {{1, 4}, {4, 1}},
  };
  for (const Case& c : cases) {
    CAPTURE(shape_str(c.a));
    CAPTURE(shape_str(c.b));
    Tensor a = leaf(c.a), b = leaf(c.b);
    CHECK(gradcheck([](const Inputs& x) { return matmul(x[0], x[1]); }, {a, b}));
  }
  // Transposed and sliced operands are read in place by Eigen (ColMajor / outer stride).
  Tensor w = leaf({5, 4}), x = leaf({3, 4});
  CHECK(gradcheck([](const Inputs& v) { return v[1].matmul(v[0].t()); }, {w, x}));
  CHECK(gradcheck([](const Inputs& v) { return matmul(v[0].t(), v[1].t()); }, {w, leaf({3, 5})}));
  CHECK(gradcheck([](const Inputs& v) { return matmul(v[0].narrow(1, 1, 2), v[1].narrow(0, 2, 2)); },
                  {leaf({3, 4}), leaf({5, 3})}));
  // A broadcast (stride 0) batch operand, and a permuted one that must be copied.
  CHECK(gradcheck([](const Inputs& v) { return matmul(v[0].expand({3, 2, 4}), v[1]); },
                  {leaf({2, 4}), leaf({3, 4, 2})}));
  CHECK(gradcheck([](const Inputs& v) { return matmul(v[0].permute({1, 0, 2}), v[1]); },
                  {leaf({3, 2, 4}), leaf({2, 4, 3})}));
}

TEST_CASE("gradcheck: cat, stack, where") {
  manual_seed(11);
  Tensor a = leaf({2, 3}), b = leaf({2, 3}), c = leaf({2, 1});
  CHECK(gradcheck([](const Inputs& x) { return cat({x[0], x[1]}, 0); }, {a, b}));
  CHECK(gradcheck([](const Inputs& x) { return cat({x[0], x[1], x[2]}, 1); }, {a, b, c}));
  CHECK(gradcheck([](const Inputs& x) { return cat({x[0], x[1]}, -1); }, {a, c}));
  CHECK(gradcheck([](const Inputs& x) { return cat({x[0]}, 0); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return cat({x[0].t(), x[1].t()}, 0); }, {a, b}));
  for (std::int64_t dim : {0, 1, 2, -1}) {
    CAPTURE(dim);
    CHECK(gradcheck([dim](const Inputs& x) { return stack({x[0], x[1], x[0]}, dim); }, {a, b}));
  }
  Tensor cond = gt(randn({2, 3}), 0.0);
  Tensor row_cond = tensor({1, 0, 1}, kFloat32).eq(ones({3}));
  CHECK(gradcheck([cond](const Inputs& x) { return where(cond, x[0], x[1]); }, {a, b}));
  CHECK(gradcheck([row_cond](const Inputs& x) { return where(row_cond, x[0], x[1]); }, {a, c}));
  CHECK(gradcheck([cond](const Inputs& x) { return where(cond, x[0], x[1]); },
                  {leaf({3}), leaf({})}));
  CHECK(gradcheck([cond](const Inputs& x) { return where(cond, x[0], x[0] * 2.0); }, {a}));
}

TEST_CASE("gradcheck: views") {
  manual_seed(12);
  Tensor a = leaf({2, 3, 4});
  CHECK(gradcheck([](const Inputs& x) { return x[0].view({6, 4}); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].view({-1}); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].reshape({4, -1}); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].transpose(0, 2).reshape({-1}); }, {a}));  // copies
  CHECK(gradcheck([](const Inputs& x) { return x[0].flatten(); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].flatten(1); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].flatten(0, 1); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].transpose(0, 1); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].transpose(-1, 0); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].select(0, 1).t(); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].permute({2, 0, 1}); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].narrow(2, 1, 2); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].narrow(-2, 0, 1); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].select(1, 2); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].select(-1, -1); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].unsqueeze(0); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].unsqueeze(-1); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].unsqueeze(1).squeeze(); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].unsqueeze(2).squeeze(2); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].squeeze(1); }, {leaf({3, 1, 2})}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].squeeze(); }, {leaf({1, 3, 1})}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].expand({3, 4}); }, {leaf({1, 4})}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].expand({2, 3, -1}); }, {leaf({3, 1})}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].expand({2, 2}) * 1.0; }, {leaf({})}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].transpose(0, 1).contiguous(); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].contiguous(); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].clone(); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].permute({1, 2, 0}).clone(); }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return x[0].to(kFloat64); }, {a}));
  // A chain of views feeding an op, so that view backward meets a real gradient.
  CHECK(gradcheck([](const Inputs& x) { return (x[0].t().unsqueeze(0) * x[1]).sum({0}); },
                  {leaf({3, 4}), leaf({2, 4, 3})}));
}

TEST_CASE("gradcheck: in-place ops on non-leaf tensors") {
  manual_seed(13);
  Tensor a = leaf({2, 3}), b = leaf({2, 3}), r = leaf({3});
  CHECK(gradcheck([](const Inputs& x) { Tensor y = x[0] * 1.0; y.add_(x[1]); return y; }, {a, b}));
  CHECK(gradcheck([](const Inputs& x) { Tensor y = x[0] * 1.0; y.add_(x[1], -2.0); return y; },
                  {a, r}));
  CHECK(gradcheck([](const Inputs& x) { Tensor y = x[0] * 1.0; y.sub_(x[1]); return y; }, {a, b}));
  CHECK(gradcheck([](const Inputs& x) { Tensor y = x[0] + 0.0; y.mul_(x[1]); return y; }, {a, b}));
  CHECK(gradcheck([](const Inputs& x) { Tensor y = x[0] + 0.0; y.mul_(3.0); return y; }, {a}));
  CHECK(gradcheck([](const Inputs& x) { Tensor y = x[0] + 0.0; y.div_(4.0); return y; }, {a}));
  CHECK(gradcheck([](const Inputs& x) { Tensor y = x[0] + 0.0; y.add_(2.0); return y; }, {a}));
}

TEST_CASE("gradcheck: composite expressions") {
  manual_seed(14);
  Tensor logits = leaf({4, 5});
  // softmax over dim 1 with the max subtracted, as numerically stable code does.
  CHECK(gradcheck(
      [](const Inputs& x) {
        Tensor shifted = x[0] - x[0].max(1, true).first;
        Tensor e = shifted.exp();
        return e / e.sum({1}, true);
      },
      {logits}));
  // A two-layer perceptron with a mean squared error.
  Tensor input = randn({6, 3}, kFloat64), target = randn({6, 2}, kFloat64);
  CHECK(gradcheck(
      [input, target](const Inputs& p) {
        Tensor h = matmul(input, p[0].t()) + p[1];
        Tensor y = matmul(tanh(h), p[2].t()) + p[3];
        return ((y - target).pow(2.0)).mean();
      },
      {leaf({4, 3}), leaf({4}), leaf({2, 4}), leaf({2})}));
}

TEST_CASE("gradcheck: large outputs use random projections") {
  manual_seed(15);
  Tensor a = leaf({20, 16});  // 320 outputs > the unit-row limit
  CHECK(gradcheck([](const Inputs& x) { return x[0] * x[0]; }, {a}));
  CHECK(gradcheck([](const Inputs& x) { return matmul(x[0], x[1]); }, {leaf({20, 3}), leaf({3, 16})}));
}

TEST_CASE("gradcheck: catches a wrong gradient") {
  manual_seed(16);
  // d/dx of x.detach() * x is x, but autograd sees only one factor: a gradient that is wrong
  // by exactly x, which gradcheck must reject.
  Tensor a = leaf_in({3}, 0.5, 1.5);
  const GradcheckFn wrong = [](const Inputs& x) { return x[0].detach() * x[0]; };
  CHECK_FALSE(gradcheck(wrong, {a}, GradcheckOptions().raise_exception(false)));
  std::string message;
  try {
    gradcheck(wrong, {a});
  } catch (const Error& e) {
    message = e.what();
  }
  CHECK(message.rfind("gradcheck: Jacobian mismatch at input 0 element ", 0) == 0);
  CHECK_THROWS_WITH_AS(
      gradcheck([](const Inputs& x) { return x[0] * 2.0; }, {randn({3}).requires_grad_()}),
      "gradcheck: input 0 has dtype float32, expected float64 (finite differences need double "
      "precision)",
      ember::Error);
}
