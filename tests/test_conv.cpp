// Conv2d: PyTorch golden values (scripts/make_conv_goldens.py), finite-difference gradients,
// the layer's parameters, init and printing, errors, and determinism across threads.
#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <nlohmann/json.hpp>

#include "ember/nn/conv2d.h"
#include "ember/nn/conv_im2col.h"
#include "ember/nn/functional.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"
#include "tests/golden.h"
#include "ember/tensor/gradcheck.h"

using namespace ember;
using nlohmann::json;
using testing::relative_error;

namespace {

const json& goldens() { return testing::fixture_json("conv_golden.json"); }

// A {"shape": [...], "data": [...]} entry as a float32 tensor (undefined for null).
Tensor from_json(const json& entry) {
  if (entry.is_null()) return Tensor();
  return tensor(entry["data"].get<std::vector<double>>(), entry["shape"].get<Shape>(), kFloat32);
}

nn::Pair pair_of(const json& v) { return {v[0].get<std::int64_t>(), v[1].get<std::int64_t>()}; }

}  // namespace

TEST_CASE("conv2d: output and gradients match PyTorch") {
  for (const json& c : goldens()["conv2d"]) {
    CAPTURE(c["name"].get<std::string>());
    Tensor x = from_json(c["input"]).requires_grad_();
    Tensor w = from_json(c["weight"]).requires_grad_();
    Tensor b = from_json(c["bias"]);
    if (b.defined()) b.requires_grad_();
    Tensor y = nn::functional::conv2d(x, w,
                                      nn::functional::Conv2dFuncOptions()
                                          .bias(b)
                                          .stride(pair_of(c["stride"]))
                                          .padding(pair_of(c["padding"]))
                                          .dilation(pair_of(c["dilation"]))
                                          .groups(c["groups"].get<std::int64_t>()));
    CHECK(y.grad_fn()->name == "ConvolutionBackward0");
    CHECK(relative_error(y, from_json(c["output"])) <= 1e-5);
    (y * from_json(c["grad_output"])).sum().backward();
    CHECK(relative_error(x.grad(), from_json(c["grad_input"])) <= 1e-5);
    CHECK(relative_error(w.grad(), from_json(c["grad_weight"])) <= 1e-5);
    if (b.defined()) CHECK(relative_error(b.grad(), from_json(c["grad_bias"])) <= 1e-5);
  }
}

TEST_CASE("conv2d: gradients pass finite differences with stride, padding, dilation, groups") {
  struct Case {
    Shape input;
    Shape weight;
    nn::Pair stride, padding, dilation;
    std::int64_t groups;
    bool bias;
  };
  const std::vector<Case> cases = {
      {{2, 4, 7, 9}, {6, 2, 3, 2}, {2, 1}, {1, 2}, {2, 1}, 2, true},  // odd shapes, grouped
      {{2, 3, 6, 5}, {4, 3, 3, 3}, 2, 1, 1, 1, false},                // strided, no bias
      {{1, 3, 4, 5}, {5, 3, 1, 1}, 1, 0, 1, 1, true},                 // pointwise fast path
      {{2, 4, 5, 5}, {4, 1, 3, 3}, 1, 1, 1, 4, true},                 // depthwise
      {{1, 2, 5, 6}, {3, 2, 2, 3}, {3, 2}, {0, 1}, {1, 2}, 1, true},  // stride > kernel step
      // The direct kernels (float64: output rows >= 8 wide): 7 channels = blocks of 6 and 1,
      // rows of 9 end in a partial vector; then 3 channels per group.
      {{2, 2, 5, 11}, {7, 2, 3, 3}, {2, 1}, 1, {1, 2}, 1, true},
      {{1, 6, 4, 10}, {4, 3, 2, 3}, 1, {0, 1}, 1, 2, false},
  };
  for (const Case& c : cases) {
    CAPTURE(shape_str(c.input));
    CAPTURE(shape_str(c.weight));
    const Tensor x = randn(c.input, kFloat64).requires_grad_();
    const Tensor w = randn(c.weight, kFloat64).requires_grad_();
    const Tensor b = c.bias ? randn({c.weight[0]}, kFloat64).requires_grad_() : Tensor();
    CHECK(gradcheck(
        [&](const std::vector<Tensor>& in) {
          return nn::functional::conv2d(in[0], in[1],
                                        nn::functional::Conv2dFuncOptions()
                                            .bias(in[2])
                                            .stride(c.stride)
                                            .padding(c.padding)
                                            .dilation(c.dilation)
                                            .groups(c.groups));
        },
        {x, w, b}));
  }
}

TEST_CASE("conv2d: only the gradients asked for are computed") {
  const Tensor x = randn({2, 3, 6, 6});
  const Tensor w = randn({4, 3, 3, 3}).requires_grad_();
  const Tensor b = randn({4});
  Tensor y = nn::functional::conv2d(x, w, nn::functional::Conv2dFuncOptions().bias(b));
  y.sum().backward();
  CHECK(w.grad().defined());
  CHECK_FALSE(x.grad().defined());
  CHECK_FALSE(b.grad().defined());
}

TEST_CASE("conv2d: a non-contiguous input gives the same result as its contiguous copy") {
  const Tensor x = randn({2, 7, 5, 3}).permute({0, 3, 1, 2});  // (2, 3, 7, 5), strided
  const Tensor w = randn({4, 3, 3, 3});
  CHECK_FALSE(x.is_contiguous());
  const auto padded = nn::functional::Conv2dFuncOptions().padding(1);
  CHECK(allclose(nn::functional::conv2d(x, w, padded),
                 nn::functional::conv2d(x.contiguous(), w, padded)));
}

TEST_CASE("conv2d: parallel over the batch, deterministic and equal to one thread") {
  const int threads_before = omp_get_max_threads();
  // Large enough to run in parallel (the threshold is 2^18 multiply-adds): im2col + GEMM, then
  // the direct kernels (3 input channels, output rows 20 wide).
  struct Case {
    Shape input, weight;
    std::int64_t padding;
  };
  const Case cases[] = {{{8, 6, 14, 14}, {16, 6, 5, 5}, 0}, {{8, 3, 20, 20}, {8, 3, 3, 3}, 1}};
  for (const Case& c : cases) {
    CAPTURE(shape_str(c.input));
    const Tensor x = randn(c.input);
    const Tensor w = randn(c.weight);
    const Tensor b = randn({c.weight[0]});
    const Tensor gy =
        randn(nn::functional::conv2d(x, w, nn::functional::Conv2dFuncOptions().padding(c.padding))
                  .shape());
    auto run = [&](int threads) {
      omp_set_num_threads(threads);
      Tensor xl = x.detach().requires_grad_(), wl = w.detach().requires_grad_();
      Tensor bl = b.detach().requires_grad_();
      Tensor y = nn::functional::conv2d(
          xl, wl, nn::functional::Conv2dFuncOptions().bias(bl).padding(c.padding));
      y.backward(gy);
      return std::vector<Tensor>{y, xl.grad(), wl.grad(), bl.grad()};
    };
    const std::vector<Tensor> one = run(1), two = run(2), two_again = run(2);
    for (std::size_t i = 0; i < one.size(); ++i) {
      CAPTURE(i);
      CHECK(equal(two[i], two_again[i]));
      CHECK(allclose(two[i], one[i], 1e-5, 1e-4));
    }
  }
  omp_set_num_threads(threads_before);
}

TEST_CASE("col2im is the adjoint of im2col, and ignores what lies in col's margins") {
  // <im2col(x), c> = <x, col2im(c)> for every x and c is what makes col2im the input gradient.
  // Widths from 3 to 21: below a packet (the scalar path), one packet, and several packets with
  // an overlapping last one; strides, padding and dilation in both directions.
  // channels, H, W, kH, kW, sH, sW, pH, pW, dH, dW
  const std::int64_t geometries[][11] = {
      {6, 14, 14, 5, 5, 1, 1, 0, 0, 1, 1},  {3, 9, 21, 3, 3, 2, 1, 1, 2, 2, 1},
      {2, 5, 11, 3, 3, 1, 1, 0, 1, 1, 2},   {4, 6, 8, 2, 3, 1, 1, 1, 0, 1, 1},
      {1, 7, 3, 3, 2, 1, 1, 1, 1, 1, 1},    {2, 7, 10, 3, 3, 2, 2, 1, 1, 1, 1},
      {1, 4, 16, 1, 7, 1, 1, 0, 3, 1, 1}};
  std::mt19937 rng(7);
  std::normal_distribution<double> normal;
  for (const auto& v : geometries) {
    nn::detail::ConvGeometry g{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10],
                               0, 0};
    g.out_h = (g.height + 2 * g.pad_h - g.dilation_h * (g.kernel_h - 1) - 1) / g.stride_h + 1;
    g.out_w = (g.width + 2 * g.pad_w - g.dilation_w * (g.kernel_w - 1) - 1) / g.stride_w + 1;
    CAPTURE(g.width);
    CAPTURE(g.stride_h);
    const std::int64_t image_numel = g.channels * g.height * g.width;
    const std::int64_t col_numel = g.col_rows() * g.col_cols();
    const std::int64_t margin = nn::detail::col_margin(g);
    std::vector<double> x(image_numel), col(col_numel), c(col_numel + 2 * margin,
                                                        std::numeric_limits<double>::quiet_NaN());
    for (double& value : x) value = normal(rng);
    for (std::int64_t i = 0; i < col_numel; ++i) c[margin + i] = normal(rng);
    std::vector<double> adjoint(image_numel, std::numeric_limits<double>::quiet_NaN());
    nn::detail::im2col(x.data(), g, col.data());
    nn::detail::col2im(c.data() + margin, g, adjoint.data());
    double lhs = 0, rhs = 0;
    for (std::int64_t i = 0; i < col_numel; ++i) lhs += col[i] * c[margin + i];
    for (std::int64_t i = 0; i < image_numel; ++i) rhs += x[i] * adjoint[i];
    CHECK(std::isfinite(rhs));  // every pixel written, no NaN from the margins
    CHECK(rhs == doctest::Approx(lhs).epsilon(1e-12));
  }
}

TEST_CASE("Conv2d: parameters, default init and state_dict keys as PyTorch's") {
  manual_seed(0);
  nn::Conv2d conv(6, 16, 5);
  const auto params = conv.named_parameters();
  REQUIRE(params.size() == 2);
  CHECK(params[0].first == "weight");
  CHECK(params[0].second.shape() == Shape{16, 6, 5, 5});
  CHECK(params[1].first == "bias");
  CHECK(params[1].second.shape() == Shape{16});
  // kaiming_uniform_(a = sqrt(5)) and the bias both draw from U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  const double bound = 1.0 / std::sqrt(6.0 * 5 * 5);
  for (const auto& [name, p] : params) {
    CAPTURE(name);
    CHECK(p.requires_grad());
    CHECK(p.abs().max().item() <= bound);
    CHECK(p.abs().max().item() > 0.8 * bound);  // spread over the range, not all near zero
  }

  nn::Conv2d no_bias(nn::Conv2dOptions(4, 6, {3, 2}).groups(2).bias(false));
  const auto keys = no_bias.named_parameters();
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].first == "weight");
  CHECK(keys[0].second.shape() == Shape{6, 2, 3, 2});
  CHECK(no_bias.state_dict().keys() == std::vector<std::string>{"weight"});
  CHECK_FALSE(no_bias.bias.defined());
  CHECK(no_bias.forward(randn({1, 4, 5, 5})).shape() == Shape{1, 6, 3, 4});
}

TEST_CASE("Conv2d: every option reaches the layer") {
  nn::Conv2d conv(nn::Conv2dOptions(4, 6, 3).stride(2).padding(1).dilation(2).groups(2));
  CHECK(conv.options.stride() == nn::Pair(2));
  CHECK(conv.options.padding() == nn::Pair(1));
  CHECK(conv.weight.shape() == Shape{6, 2, 3, 3});  // in_channels / groups
  // (9 + 2 - 2 * 2 - 1) / 2 + 1 = 4 for stride 2, padding 1, dilation 2.
  CHECK(conv.forward(randn({1, 4, 9, 9})).shape() == Shape{1, 6, 4, 4});
  const Tensor x = randn({1, 4, 9, 9});
  const Tensor expected = nn::functional::conv2d(x, conv.weight,
                                                 nn::functional::Conv2dFuncOptions()
                                                     .bias(conv.bias)
                                                     .stride(2)
                                                     .padding(1)
                                                     .dilation(2)
                                                     .groups(2));
  CHECK(equal(conv.forward(x), expected));
  CHECK(nn::Conv2d(nn::Conv2dOptions(4, 6, 3).bias(false)).named_parameters().size() == 1);
}

TEST_CASE("Conv2d: reset_parameters draws again within PyTorch's bounds") {
  nn::Conv2d conv(nn::Conv2dOptions(3, 8, {3, 2}));
  const Tensor weight_before = conv.weight.clone(), bias_before = conv.bias.clone();
  conv.reset_parameters();
  CHECK_FALSE(equal(conv.weight, weight_before));
  CHECK_FALSE(equal(conv.bias, bias_before));
  const double bound = 1.0 / std::sqrt(3.0 * 3 * 2);  // 1 / sqrt(fan_in)
  CHECK(conv.weight.abs().max().item() <= bound);
  CHECK(conv.bias.abs().max().item() <= bound);
  CHECK(conv.weight.abs().max().item() > 0.8 * bound);
}

TEST_CASE("Conv2d: invalid options fail in the constructor, in PyTorch's words") {
  CHECK_THROWS_WITH_AS(nn::Conv2d(nn::Conv2dOptions(4, 6, 3).groups(0)),
                       "Conv2d: groups must be a positive integer, found 0", Error);
  CHECK_THROWS_WITH_AS(nn::Conv2d(nn::Conv2dOptions(4, 6, 3).groups(4)),
                       "Conv2d: out_channels must be divisible by groups (found 6 and groups=4)",
                       Error);
  CHECK_THROWS_WITH_AS(nn::Conv2d(nn::Conv2dOptions(4, 6, 3).stride(0)),
                       "Conv2d: expected stride > 0, found (0, 0)", Error);
  CHECK_THROWS_WITH_AS(nn::Conv2d(nn::Conv2dOptions(4, 6, 3).padding(-1)),
                       "Conv2d: expected padding >= 0, found (-1, -1)", Error);
  CHECK_THROWS_WITH_AS(nn::Conv2d(nn::Conv2dOptions(4, 6, 3).dilation({1, 0})),
                       "Conv2d: expected dilation > 0, found (1, 0)", Error);
  CHECK_THROWS_WITH_AS(nn::Conv2d(nn::Conv2dOptions(4, 6, 0)),
                       "Conv2d: expected kernel_size > 0, found (0, 0)", Error);
  CHECK_THROWS_WITH_AS(nn::Conv2d(nn::Conv2dOptions(4, 6, 3).padding_mode("same")),
                       "Conv2d: padding_mode must be one of {'zeros', 'reflect', 'replicate', "
                       "'circular'}, but got padding_mode='same'",
                       Error);
  CHECK_THROWS_WITH_AS(nn::Conv2d(nn::Conv2dOptions(4, 6, 3).padding_mode("reflect")),
                       "Conv2d: padding_mode='reflect' is not supported; ember pads with zeros only",
                       Error);
  CHECK(nn::Conv2d(nn::Conv2dOptions(4, 6, 3).padding_mode("zeros")).options.padding_mode() ==
        "zeros");
}

TEST_CASE("Conv2d: forward follows its parameters through to(dtype) and load_state_dict") {
  nn::Conv2d conv(2, 3, 3);
  conv.to(kFloat64);
  const Tensor x = randn({1, 2, 4, 4}, kFloat64);
  CHECK(conv.forward(x).dtype() == kFloat64);
  nn::StateDict zeroed;
  for (const auto& [key, value] : conv.state_dict()) zeroed.set(key, zeros_like(value));
  conv.load_state_dict(zeroed);
  CHECK(conv.forward(x).abs().max().item() == 0.0);
}

TEST_CASE("Conv2d: prints as PyTorch") {
  auto torch_repr = [](const char* key) { return goldens()["repr"][key].get<std::string>(); };
  CHECK(nn::Conv2d(3, 6, 5).repr() == torch_repr("conv_default"));
  CHECK(nn::Conv2d(nn::Conv2dOptions(1, 6, 5).padding(2)).repr() == torch_repr("conv_padded"));
  CHECK(nn::Conv2d(nn::Conv2dOptions(4, 6, {3, 2})
                       .stride({2, 1})
                       .padding({1, 2})
                       .dilation({2, 1})
                       .groups(2)
                       .bias(false))
            .repr() == torch_repr("conv_all"));
  CHECK(nn::Conv2d(nn::Conv2dOptions(3, 32, {3, 1}).stride(2)).repr() ==
        torch_repr("conv_rect_kernel"));
  CHECK(nn::Conv2d(3, 6, 5).type_name() == "Conv2d");
}

TEST_CASE("conv2d: errors name the op, the expectation and what was found") {
  const Tensor w = randn({6, 3, 5, 5});
  CHECK_THROWS_WITH_AS(nn::functional::conv2d(randn({32, 32}), w),
                       "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of "
                       "size: [32, 32]",
                       Error);
  CHECK_THROWS_WITH_AS(nn::functional::conv2d(randn({1, 4, 32, 32}), w),
                       "conv2d: expected input with 3 channels (weight (6, 3, 5, 5)), found 4",
                       Error);
  CHECK_THROWS_WITH_AS(nn::functional::conv2d(randn({1, 3, 8, 8}), randn({6, 2, 3, 3}),
                                              nn::functional::Conv2dFuncOptions().groups(2)),
                       "conv2d: expected input with 4 channels (weight (6, 2, 3, 3), groups=2), "
                       "found 3",
                       Error);
  CHECK_THROWS_WITH_AS(nn::functional::conv2d(randn({1, 3, 4, 4}), w),
                       "conv2d: padded input size per channel (4 x 4) is smaller than the dilated "
                       "kernel (5 x 5); the kernel can't be greater than the input",
                       Error);
  CHECK_THROWS_WITH_AS(nn::functional::conv2d(randn({1, 3, 8, 8}), w,
                                              nn::functional::Conv2dFuncOptions().bias(randn({5}))),
                       "conv2d: expected bias of shape (6,), found (5,)", Error);
  CHECK_THROWS_WITH_AS(nn::functional::conv2d(randn({1, 3, 8, 8}, kFloat64), w),
                       "conv2d: expected weight of dtype float64 (the input's), found float32",
                       Error);
  CHECK_THROWS_WITH_AS(nn::Conv2d(nn::Conv2dOptions(3, 6, 5).groups(2)),
                       "Conv2d: in_channels must be divisible by groups (found 3 and groups=2)",
                       Error);
}
