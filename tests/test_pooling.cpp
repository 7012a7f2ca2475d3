// MaxPool2d, AvgPool2d and AdaptiveAvgPool2d: PyTorch golden values
// (scripts/make_conv_goldens.py), finite-difference gradients, PyTorch's window semantics
// (padding, dilation, ceil_mode), printing and errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "ember/nn/adaptive_avg_pool2d.h"
#include "ember/nn/avg_pool2d.h"
#include "ember/nn/functional.h"
#include "ember/nn/max_pool2d.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"
#include "tests/golden.h"
#include "ember/tensor/gradcheck.h"

using namespace ember;
using nlohmann::json;
using testing::relative_error;
namespace F = nn::functional;

namespace {

const json& goldens() { return testing::fixture_json("conv_golden.json"); }

Tensor from_json(const json& entry) {
  return tensor(entry["data"].get<std::vector<double>>(), entry["shape"].get<Shape>(), kFloat32);
}

nn::Pair pair_of(const json& v) { return {v[0].get<std::int64_t>(), v[1].get<std::int64_t>()}; }

// Runs pool on each golden case of `op` and compares output and input gradient with PyTorch's.
template <class Pool>
void check_goldens(const char* op, const char* grad_fn, Pool pool) {
  for (const json& c : goldens()[op]) {
    CAPTURE(c["name"].get<std::string>());
    Tensor x = from_json(c["input"]).requires_grad_();
    Tensor y = pool(x, c);
    CHECK(y.grad_fn()->name == grad_fn);
    CHECK(relative_error(y, from_json(c["output"])) <= 1e-5);
    (y * from_json(c["grad_output"])).sum().backward();
    CHECK(relative_error(x.grad(), from_json(c["grad_input"])) <= 1e-5);
  }
}

std::string torch_repr(const char* key) { return goldens()["repr"][key].get<std::string>(); }

}  // namespace

// ---- max_pool2d ---------------------------------------------------------------------------------

TEST_CASE("max_pool2d: output and gradient match PyTorch") {
  check_goldens("max_pool2d", "MaxPool2DWithIndicesBackward0", [](const Tensor& x, const json& c) {
    return F::max_pool2d(x, F::MaxPool2dFuncOptions(pair_of(c["kernel_size"]))
                                .stride(pair_of(c["stride"]))
                                .padding(pair_of(c["padding"]))
                                .dilation(pair_of(c["dilation"]))
                                .ceil_mode(c["ceil_mode"].get<bool>()));
  });
}

TEST_CASE("max_pool2d: gradients pass finite differences with padding, dilation, ceil_mode") {
  // Random values have no ties, so the max is differentiable at the test point.
  const Tensor x = randn({2, 3, 7, 9}, kFloat64).requires_grad_();
  CHECK(gradcheck([](const std::vector<Tensor>& in) {
    return F::max_pool2d(in[0], F::MaxPool2dFuncOptions(3).stride(2).padding(1).ceil_mode(true));
  }, {x}));
  CHECK(gradcheck([](const std::vector<Tensor>& in) {
    return F::max_pool2d(
        in[0], F::MaxPool2dFuncOptions({3, 2}).stride({2, 1}).padding({1, 0}).dilation({2, 1}));
  }, {x}));
  CHECK(gradcheck([](const std::vector<Tensor>& in) {
    // Overlapping windows share maxima.
    return F::max_pool2d(in[0], F::MaxPool2dFuncOptions(3).stride(1).padding(1));
  }, {x}));
  CHECK(gradcheck([](const std::vector<Tensor>& in) {
    // The unrolled 2x2 path; odd sizes drop a row.
    return F::max_pool2d(in[0], F::MaxPool2dFuncOptions(2));
  }, {x}));
}

TEST_CASE("max_pool2d: the unrolled 2x2 path equals the general kernel") {
  // Output rows of 4 (narrower than the 8-output runs), 8 (one run) and 11 (a run, then one
  // overlapping it). Values rounded to a few integers, so that most windows hold ties and the
  // argmax rule shows in the gradient.
  for (const std::int64_t width : {8, 16, 22}) {
    CAPTURE(width);
    const Tensor x = randint(-2, 3, {2, 3, 9, width}).to(kFloat32);
    // ceil_mode on the odd height adds a partial last row of windows, which sends the call
    // down the general kernel; its first four rows are the fast path's windows.
    Tensor x_fast = x.detach().requires_grad_(), x_general = x.detach().requires_grad_();
    const Tensor fast = F::max_pool2d(x_fast, F::MaxPool2dFuncOptions(2));
    const Tensor general =
        F::max_pool2d(x_general, F::MaxPool2dFuncOptions(2).ceil_mode(true)).narrow(2, 0, 4);
    CHECK(equal(fast, general));
    const Tensor grad = randn(fast.shape());
    fast.backward(grad);
    general.backward(grad);
    CHECK(equal(x_fast.grad(), x_general.grad()));
  }
}

TEST_CASE("max_pool2d: PyTorch's output sizes, padding as -inf, ties and NaN") {
  const Tensor x = arange(25, kFloat32).view({1, 1, 5, 5});
  // ceil_mode keeps a last partial window that starts inside the input...
  CHECK(F::max_pool2d(x, F::MaxPool2dFuncOptions(2).ceil_mode(true)).shape() == Shape{1, 1, 3, 3});
  CHECK(F::max_pool2d(x, F::MaxPool2dFuncOptions(2)).shape() == Shape{1, 1, 2, 2});
  // ...but drops one that would start in the right padding: (5 + 2 - 3 + 1) / 2 -> 3, not 4.
  CHECK(F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2).padding(1).ceil_mode(true)).shape() ==
        Shape{1, 1, 3, 3});
  // A kernel larger than the input still gives one window in ceil_mode.
  CHECK(F::max_pool2d(x, F::MaxPool2dFuncOptions(7).ceil_mode(true)).item() == 24.0);
  // Negative inputs next to the padding: padding never wins.
  const Tensor negative = full({1, 1, 2, 2}, -5.0);
  CHECK(F::max_pool2d(negative, F::MaxPool2dFuncOptions(3).stride(1).padding(1))
            .to_vector<double>() ==
        std::vector<double>(4, -5.0));
  // Equal maxima: the first in row-major order gets the gradient.
  Tensor ties = zeros({1, 1, 2, 2}).requires_grad_();
  F::max_pool2d(ties, F::MaxPool2dFuncOptions(2)).sum().backward();
  CHECK(ties.grad().to_vector<double>() == std::vector<double>{1, 0, 0, 0});
  // NaN propagates.
  Tensor with_nan = tensor({1.0, std::nan(""), 3.0, 2.0}, {1, 1, 2, 2});
  CHECK(std::isnan(F::max_pool2d(with_nan, F::MaxPool2dFuncOptions(2)).item()));
}

TEST_CASE("MaxPool2d: prints as PyTorch, stride defaulting to kernel_size") {
  CHECK(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)).repr() == torch_repr("max_pool"));
  CHECK(nn::MaxPool2d(2).repr() == torch_repr("max_pool"));
  CHECK(nn::MaxPool2d(nn::MaxPool2dOptions({3, 2})
                          .stride({2, 1})
                          .padding({1, 0})
                          .dilation({2, 1})
                          .ceil_mode(true))
            .repr() == torch_repr("max_pool_tuple"));
  CHECK(nn::MaxPool2d(2).type_name() == "MaxPool2d");
  CHECK(nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(1)).options.stride() == nn::Pair(1));
  // Each option reaches forward: stride 1 and padding 1 keep a 3x3 window's output at 5x5.
  CHECK(nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(1).padding(1)).forward(randn({1, 1, 5, 5}))
            .shape() == Shape{1, 1, 5, 5});
  CHECK(nn::MaxPool2d(nn::MaxPool2dOptions(2).ceil_mode(true)).forward(randn({1, 1, 5, 5}))
            .shape() == Shape{1, 1, 3, 3});
  CHECK(nn::MaxPool2d(nn::MaxPool2dOptions(2).dilation(2)).forward(randn({1, 1, 5, 5})).shape() ==
        Shape{1, 1, 2, 2});
  CHECK(nn::MaxPool2d(2).named_parameters().empty());
  CHECK(nn::MaxPool2d(2).forward(randn({3, 6, 28, 28})).shape() == Shape{3, 6, 14, 14});
}

TEST_CASE("max_pool2d: errors as PyTorch's") {
  CHECK_THROWS_WITH_AS(F::max_pool2d(randn({28, 28}), F::MaxPool2dFuncOptions(2)),
                       "non-empty 3D or 4D (batch mode) tensor expected for input, but got "
                       "[28, 28]",
                       Error);
  CHECK_THROWS_WITH_AS(F::max_pool2d(randn({1, 1, 5, 5}), F::MaxPool2dFuncOptions(2).padding(2)),
                       "max_pool2d: pad should be at most half of kernel size, but got pad=2 and "
                       "kernel_size=2",
                       Error);
  CHECK_THROWS_WITH_AS(F::max_pool2d(randn({1, 3, 5, 5}), F::MaxPool2dFuncOptions(7)),
                       "max_pool2d: given input size (3x5x5), calculated output size (3x0x0): "
                       "output size is too small",
                       Error);
  CHECK_THROWS_WITH_AS(F::max_pool2d(randn({1, 3, 5, 5}), F::MaxPool2dFuncOptions(2).stride(0)),
                       "max_pool2d: stride must be greater than zero, but got (0, 0)", Error);
}

// ---- avg_pool2d ---------------------------------------------------------------------------------

TEST_CASE("avg_pool2d: output and gradient match PyTorch") {
  check_goldens("avg_pool2d", "AvgPool2DBackward0", [](const Tensor& x, const json& c) {
    std::optional<std::int64_t> divisor;
    if (!c["divisor_override"].is_null()) divisor = c["divisor_override"].get<std::int64_t>();
    return F::avg_pool2d(x, F::AvgPool2dFuncOptions(pair_of(c["kernel_size"]))
                                .stride(pair_of(c["stride"]))
                                .padding(pair_of(c["padding"]))
                                .ceil_mode(c["ceil_mode"].get<bool>())
                                .count_include_pad(c["count_include_pad"].get<bool>())
                                .divisor_override(divisor));
  });
}

TEST_CASE("avg_pool2d: gradients pass finite differences") {
  const Tensor x = randn({2, 3, 7, 9}, kFloat64).requires_grad_();
  for (bool include_pad : {true, false}) {
    CAPTURE(include_pad);
    CHECK(gradcheck([=](const std::vector<Tensor>& in) {
      return F::avg_pool2d(in[0], F::AvgPool2dFuncOptions(3).stride(2).padding(1).ceil_mode(true)
                                      .count_include_pad(include_pad));
    }, {x}));
  }
  CHECK(gradcheck([](const std::vector<Tensor>& in) {
    return F::avg_pool2d(
        in[0], F::AvgPool2dFuncOptions({2, 3}).stride({1, 2}).padding(1).divisor_override(4));
  }, {x}));
}

TEST_CASE("AvgPool2d: prints as PyTorch") {
  CHECK(nn::AvgPool2d(3).repr() == torch_repr("avg_pool"));
  CHECK(nn::AvgPool2d(nn::AvgPool2dOptions({2, 3})
                          .stride(1)
                          .padding(1)
                          .ceil_mode(true)
                          .count_include_pad(false))
            .repr() == torch_repr("avg_pool_tuple"));
  CHECK(nn::AvgPool2d(3).type_name() == "AvgPool2d");
  const Tensor ones4 = ones({1, 1, 4, 4});
  // count_include_pad(false) divides a corner window by its 1 input pixel, not by 4.
  CHECK(nn::AvgPool2d(nn::AvgPool2dOptions(2).padding(1)).forward(ones4).at({0, 0, 0, 0}) == 0.25);
  CHECK(nn::AvgPool2d(nn::AvgPool2dOptions(2).padding(1).count_include_pad(false))
            .forward(ones4)
            .at({0, 0, 0, 0}) == 1.0);
  CHECK(nn::AvgPool2d(nn::AvgPool2dOptions(2).divisor_override(1))
            .forward(ones4)
            .at({0, 0, 0, 0}) == 4.0);
  CHECK(nn::AvgPool2d(nn::AvgPool2dOptions(3).stride(2)).forward(ones4).shape() == Shape{1, 1, 1, 1});
  CHECK(nn::AvgPool2d(nn::AvgPool2dOptions(3).stride(2).ceil_mode(true)).forward(ones4).shape() ==
        Shape{1, 1, 2, 2});
  CHECK_THROWS_WITH_AS(F::avg_pool2d(randn({1, 1, 4, 4}),
                                    F::AvgPool2dFuncOptions(2).divisor_override(0)),
                       "avg_pool2d: divisor must be not zero", Error);
}

// ---- adaptive_avg_pool2d ------------------------------------------------------------------------

TEST_CASE("adaptive_avg_pool2d: output and gradient match PyTorch") {
  check_goldens("adaptive_avg_pool2d", "AdaptiveAvgPool2DBackward0",
                [](const Tensor& x, const json& c) {
    return F::adaptive_avg_pool2d(x, pair_of(c["output_size"]));
  });
}

TEST_CASE("adaptive_avg_pool2d: gradients pass finite differences") {
  const Tensor x = randn({2, 2, 7, 9}, kFloat64).requires_grad_();
  for (nn::Pair size : {nn::Pair{3, 4}, nn::Pair{1}, nn::Pair{9, 10}}) {
    CAPTURE(size.str());
    CHECK(gradcheck([=](const std::vector<Tensor>& in) {
      return F::adaptive_avg_pool2d(in[0], size);
    }, {x}));
  }
}

TEST_CASE("AdaptiveAvgPool2d: prints as PyTorch; global pooling is the mean") {
  CHECK(nn::AdaptiveAvgPool2d({5, 7}).repr() == torch_repr("adaptive_pool"));
  CHECK(nn::AdaptiveAvgPool2d(1).repr() == torch_repr("adaptive_pool_int"));
  CHECK(nn::AdaptiveAvgPool2d(1).type_name() == "AdaptiveAvgPool2d");
  CHECK(nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({2, 3})).options.output_size() ==
        nn::Pair(2, 3));
  const Tensor x = randn({2, 3, 5, 4});
  // Two float32 sums of 20 values in different orders: equal to rounding, which an atol must
  // cover (a mean near 0 makes rtol alone too tight; this failed for some random draws).
  CHECK(allclose(nn::AdaptiveAvgPool2d(1).forward(x).view({2, 3}), x.mean({2, 3}), 1e-5, 1e-6));
  CHECK_THROWS_WITH_AS(F::adaptive_avg_pool2d(x, 0),
                       "adaptive_avg_pool2d: expected a positive output_size, found (0, 0)",
                       Error);
}
