// The layers of issue 19's list: finite-difference gradient checks in float64 for every
// differentiable input and parameter, initialisation, and Dropout2d's channel masks.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "ember/nn/activation.h"
#include "ember/nn/conv1d.h"
#include "ember/nn/conv2d.h"
#include "ember/nn/conv_transpose2d.h"
#include "ember/nn/dropout.h"
#include "ember/nn/embedding.h"
#include "ember/nn/functional.h"
#include "ember/nn/group_norm.h"
#include "ember/nn/identity.h"
#include "ember/nn/layer_norm.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/gradcheck.h"
#include "ember/tensor/ops.h"

namespace ember {
namespace {

namespace F = nn::functional;
using Inputs = std::vector<Tensor>;
using nn::Pair;

Tensor leaf64(const Shape& shape, double scale = 1.0) {
  return (randn(shape, kFloat64) * scale).detach().requires_grad_();
}

TEST_CASE("gradcheck: leaky_relu, gelu (both forms), silu") {
  // Away from 0, where leaky_relu's derivative jumps and finite differences would straddle it.
  Tensor x = randn({3, 7}, kFloat64) * 2.0;
  x = where(lt(abs(x), 0.1), x + 0.5, x).detach().requires_grad_();
  for (double slope : {0.01, 0.3}) {
    CHECK(gradcheck([&](const Inputs& in) {
      return F::leaky_relu(in[0], F::LeakyReLUFuncOptions().negative_slope(slope));
    }, {x}));
  }
  const Tensor y = leaf64({4, 9}, 3.0);
  for (const char* approximate : {"none", "tanh"}) {
    CAPTURE(approximate);
    CHECK(gradcheck([&](const Inputs& in) {
      return F::gelu(in[0], F::GELUFuncOptions().approximate(approximate));
    }, {y}));
  }
  CHECK(gradcheck([](const Inputs& in) { return F::silu(in[0]); }, {y}));
}

TEST_CASE("gradcheck: layer_norm in input, weight and bias") {
  const Tensor x = leaf64({3, 4, 5}), w = leaf64({4, 5}), b = leaf64({4, 5});
  CHECK(gradcheck([](const Inputs& in) {
    return F::layer_norm(in[0], F::LayerNormFuncOptions({4, 5}).weight(in[1]).bias(in[2]));
  }, {x, w, b}));
  CHECK(gradcheck([](const Inputs& in) {
    return F::layer_norm(in[0], F::LayerNormFuncOptions({5}).eps(1e-3));
  }, {x}));
}

TEST_CASE("gradcheck: group_norm in input, weight and bias") {
  const Tensor x = leaf64({2, 6, 3, 2}), w = leaf64({6}), b = leaf64({6});
  CHECK(gradcheck([](const Inputs& in) {
    return F::group_norm(in[0], F::GroupNormFuncOptions(3).weight(in[1]).bias(in[2]));
  }, {x, w, b}));
  const Tensor x2 = leaf64({3, 4});
  CHECK(gradcheck([](const Inputs& in) { return F::group_norm(in[0], 2); }, {x2}));
}

TEST_CASE("gradcheck: embedding in weight, padding row excluded") {
  const Tensor indices = tensor_int64({1, 3, 3, 0, 2, 1}, {2, 3});
  const Tensor w = leaf64({5, 4});
  // padding_idx 4 is not picked: where it is, the forward reads the row and the backward, on
  // purpose (PyTorch's), sends it nothing, which finite differences would call wrong.
  for (std::int64_t padding : {-1, 4}) {
    F::EmbeddingFuncOptions options;
    if (padding >= 0) options.padding_idx(padding);
    CHECK(gradcheck([&](const Inputs& in) { return F::embedding(indices, in[0], options); }, {w}));
  }
  // The padding row's gradient is zero, though the indices pick it twice.
  const Tensor out = F::embedding(indices, w, F::EmbeddingFuncOptions().padding_idx(3));
  out.backward(ones(out.shape(), kFloat64));
  CHECK(w.grad().select(0, 3).abs().max().item() == 0.0);
  CHECK(w.grad().select(0, 1).sum().item() == doctest::Approx(8.0));  // picked twice, 4 columns
}

TEST_CASE("gradcheck: conv1d in input, weight and bias, batched and unbatched") {
  const Tensor x = leaf64({2, 4, 9}), w = leaf64({6, 2, 3}), b = leaf64({6});
  CHECK(gradcheck([](const Inputs& in) {
    return F::conv1d(in[0], in[1],
                     F::Conv1dFuncOptions().bias(in[2]).stride(2).padding(1).dilation(2).groups(2));
  }, {x, w, b}));
  const Tensor x1 = leaf64({3, 7}), w1 = leaf64({2, 3, 2});
  CHECK(gradcheck([](const Inputs& in) { return F::conv1d(in[0], in[1]); }, {x1, w1}));
}

TEST_CASE("gradcheck: conv_transpose2d in input, weight and bias") {
  struct Case {
    Shape input, weight;
    Pair stride, padding, output_padding;
    std::int64_t groups;
    Pair dilation;
  };
  const std::vector<Case> cases = {
      {{2, 3, 3, 3}, {3, 2, 3, 3}, 2, 1, 1, 1, 1},
      {{1, 4, 3, 2}, {4, 2, 3, 2}, {1, 2}, {1, 0}, {1, 1}, 2, {2, 1}},  // output_padding < dilation
      {{2, 2, 2, 3}, {2, 3, 1, 1}, 1, 0, 0, 1, 1},                     // pointwise
      {{1, 3, 4, 4}, {3, 1, 2, 2}, 3, 0, 2, 3, 1},                     // depthwise, stride > kernel
  };
  for (const Case& c : cases) {
    CAPTURE(shape_str(c.input));
    CAPTURE(shape_str(c.weight));
    const Tensor x = leaf64(c.input), w = leaf64(c.weight);
    const Tensor b = leaf64({c.weight[1] * c.groups});
    CHECK(gradcheck([&](const Inputs& in) {
      return F::conv_transpose2d(in[0], in[1],
                                 F::ConvTranspose2dFuncOptions()
                                     .bias(in[2])
                                     .stride(c.stride)
                                     .padding(c.padding)
                                     .output_padding(c.output_padding)
                                     .groups(c.groups)
                                     .dilation(c.dilation));
    }, {x, w, b}));
  }
}

TEST_CASE("conv_transpose2d is the adjoint of conv2d in its input") {
  // <conv2d(x, w), y> == <x, conv_transpose2d(y, w)> for every x and y.
  const Tensor x = randn({2, 4, 7, 6}, kFloat64), w = randn({6, 2, 3, 2}, kFloat64);
  const Tensor y = F::conv2d(x, w, F::Conv2dFuncOptions().stride(2).padding(1).groups(2));
  const Tensor g = randn(y.shape(), kFloat64);
  const Tensor xt = F::conv_transpose2d(
      g, w, F::ConvTranspose2dFuncOptions().stride(2).padding(1).groups(2));
  REQUIRE(xt.shape() == x.shape());
  CHECK(sum(y * g).item() == doctest::Approx(sum(x * xt).item()).epsilon(1e-12));
}

TEST_CASE("layers hold PyTorch's initial parameters") {
  nn::LayerNorm ln(nn::LayerNormOptions({3, 2}));
  CHECK(equal(ln.weight, ones({3, 2})));
  CHECK(equal(ln.bias, zeros({3, 2})));
  nn::GroupNorm gn(nn::GroupNormOptions(2, 4));
  CHECK(equal(gn.weight, ones({4})));
  CHECK(equal(gn.bias, zeros({4})));
  nn::Embedding emb(nn::EmbeddingOptions(200, 8).padding_idx(-2));
  CHECK(emb.options.padding_idx() == 198);
  CHECK(emb.weight.select(0, 198).abs().max().item() == 0.0);
  const double m = mean(emb.weight).item(), sd = std::sqrt(mean(emb.weight * emb.weight).item());
  CHECK(std::abs(m) < 0.1);
  CHECK(std::abs(sd - 1.0) < 0.1);  // N(0, 1)
  // fan_in = in / groups * K = 12 for Conv1d, out / groups * kH kW = 3 * 6 = 18 transposed.
  nn::Conv1d c1(nn::Conv1dOptions(8, 6, 3).groups(2));
  CHECK(c1.weight.abs().max().item() <= 1.0 / std::sqrt(12.0));
  CHECK(c1.bias.abs().max().item() <= 1.0 / std::sqrt(12.0));
  nn::ConvTranspose2d ct(nn::ConvTranspose2dOptions(4, 6, {3, 2}).groups(2));
  CHECK(ct.weight.shape() == Shape{4, 3, 3, 2});
  CHECK(ct.weight.abs().max().item() <= 1.0 / std::sqrt(18.0));
  CHECK(ct.weight.abs().max().item() > 0.8 / std::sqrt(18.0));
  CHECK(ct.bias.abs().max().item() <= 1.0 / std::sqrt(18.0));
}

TEST_CASE("layers forward through their functions") {
  const Tensor x = randn({2, 3, 4});
  nn::Identity identity;
  CHECK(identity(x).is_same(x));
  nn::LeakyReLU leaky(nn::LeakyReLUOptions().negative_slope(0.5));
  CHECK(allclose(leaky(x), F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(0.5))));
  nn::Conv1d conv(3, 5, 2);
  CHECK(conv(x).shape() == Shape{2, 5, 3});
  CHECK(conv(x.select(0, 1)).shape() == Shape{5, 3});
  CHECK(allclose(conv(x).select(0, 1), conv(x.select(0, 1))));
  nn::ConvTranspose2d up(nn::ConvTranspose2dOptions(3, 2, 3).stride(2).padding(1).output_padding(1));
  CHECK(up(randn({1, 3, 4, 5})).shape() == Shape{1, 2, 8, 10});
  CHECK(up(randn({3, 4, 5})).shape() == Shape{2, 8, 10});
  nn::Embedding emb(10, 3);
  CHECK(emb(tensor_int64({1, 2, 3, 4, 5, 6}, {2, 3})).shape() == Shape{2, 3, 3});
}

TEST_CASE("Dropout2d zeroes whole channels and scales the rest") {
  Generator gen(7);
  nn::Dropout2d drop(0.4, &gen);
  const Tensor x = (rand({8, 16, 3, 5}) + 1.0).requires_grad_();
  const Tensor y = drop(x);
  const std::vector<double> xv = x.to_vector<double>(), yv = y.to_vector<double>();
  int dropped = 0;
  for (std::int64_t plane = 0; plane < 8 * 16; ++plane) {
    const double ratio = yv[plane * 15] / xv[plane * 15];
    CHECK((ratio == 0.0 || std::abs(ratio - 1.0 / 0.6) < 1e-6));
    for (std::int64_t i = 1; i < 15; ++i) {
      CHECK(yv[plane * 15 + i] == doctest::Approx(xv[plane * 15 + i] * ratio));
    }
    dropped += ratio == 0.0;
  }
  CHECK(dropped > 30);  // about 0.4 * 128 = 51
  CHECK(dropped < 75);
  // The gradient is the same mask.
  y.backward(ones(y.shape()));
  const std::vector<double> gv = x.grad().to_vector<double>();
  for (std::size_t i = 0; i < gv.size(); ++i) CHECK(gv[i] == doctest::Approx(yv[i] / xv[i]));
  drop.eval();
  CHECK(drop(x).is_same(x));
}

}  // namespace
}  // namespace ember
