// The layers of issue 19's list against PyTorch (tests/fixtures/layer_golden.json, made by
// scripts/make_layer_goldens.py): outputs and gradients, reprs, state_dict keys and error
// messages. Gradient checks, initialisation and Dropout2d are in tests/test_layers_grad.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "ember/nn/activation.h"
#include "ember/nn/conv1d.h"
#include "ember/nn/conv_transpose2d.h"
#include "ember/nn/dropout.h"
#include "ember/nn/embedding.h"
#include "ember/nn/functional.h"
#include "ember/nn/group_norm.h"
#include "ember/nn/identity.h"
#include "ember/nn/layer_norm.h"
#include "ember/nn/state_dict.h"
#include "ember/tensor/factories.h"
#include "tests/golden.h"

namespace ember {
namespace {

namespace F = nn::functional;
using json = nlohmann::json;

const json& golden() { return testing::fixture_json("layer_golden.json"); }

// {"shape", "dtype", "data"} -> a tensor.
Tensor decode(const json& j) {
  const Shape shape = j.at("shape").get<Shape>();
  const Dtype dtype = dtype_from_name(j.at("dtype").get<std::string>());
  if (dtype == kInt64) {
    return tensor_int64(j.at("data").get<std::vector<std::int64_t>>()).view(shape);
  }
  return tensor(j.at("data").get<std::vector<double>>(), {}, dtype).view(shape);
}

nn::Pair pair(const json& j) {
  return nn::Pair(j.at(0).get<std::int64_t>(), j.at(1).get<std::int64_t>());
}

Tensor input_or_none(std::map<std::string, Tensor>& inputs, const char* key) {
  return inputs.count(key) ? inputs[key] : Tensor();
}

// Runs one functional case on leaves made from its inputs; returns the output.
Tensor run_case(const json& c, std::map<std::string, Tensor>& in) {
  for (auto it = c.at("inputs").begin(); it != c.at("inputs").end(); ++it) {
    in[it.key()] = decode(it.value()).requires_grad_(true);
  }
  const std::string op = c.at("op");
  const json& p = c.at("params");
  const Tensor weight = input_or_none(in, "weight"), bias = input_or_none(in, "bias");
  if (op == "leaky_relu") {
    return F::leaky_relu(in["input"], F::LeakyReLUFuncOptions().negative_slope(p.at("negative_slope")));
  }
  if (op == "gelu") {
    return F::gelu(in["input"], F::GELUFuncOptions().approximate(p.at("approximate")));
  }
  if (op == "silu") return F::silu(in["input"]);
  if (op == "layer_norm") {
    return F::layer_norm(in["input"], F::LayerNormFuncOptions(p.at("normalized_shape").get<Shape>())
                                          .weight(weight)
                                          .bias(bias)
                                          .eps(p.at("eps")));
  }
  if (op == "group_norm") {
    return F::group_norm(in["input"], F::GroupNormFuncOptions(p.at("num_groups").get<std::int64_t>())
                                          .weight(weight)
                                          .bias(bias)
                                          .eps(p.at("eps")));
  }
  if (op == "embedding") {
    F::EmbeddingFuncOptions options;
    if (!p.at("padding_idx").is_null()) options.padding_idx(p.at("padding_idx").get<std::int64_t>());
    return F::embedding(decode(p.at("indices")), weight, options);
  }
  if (op == "conv1d") {
    return F::conv1d(in["input"], weight,
                     F::Conv1dFuncOptions()
                         .bias(bias)
                         .stride(p.at("stride"))
                         .padding(p.at("padding"))
                         .dilation(p.at("dilation"))
                         .groups(p.at("groups")));
  }
  if (op == "conv_transpose2d") {
    return F::conv_transpose2d(in["input"], weight,
                               F::ConvTranspose2dFuncOptions()
                                   .bias(bias)
                                   .stride(pair(p.at("stride")))
                                   .padding(pair(p.at("padding")))
                                   .output_padding(pair(p.at("output_padding")))
                                   .groups(p.at("groups"))
                                   .dilation(pair(p.at("dilation"))));
  }
  FAIL("unknown op " << op);
  return Tensor();
}

TEST_CASE("new layers' functions match PyTorch's outputs and gradients") {
  double worst = 0;
  std::string where;
  auto compare = [&](const std::string& what, const Tensor& found, const Tensor& expected) {
    const double e = testing::relative_error(found, expected);
    INFO(what, ": relative error ", e);
    CHECK(e <= 1e-5);
    if (e >= worst) worst = e, where = what;
  };
  int count = 0;
  for (const json& c : golden().at("cases")) {
    const std::string name = c.at("name");
    CAPTURE(name);
    std::map<std::string, Tensor> inputs;
    const Tensor out = run_case(c, inputs);
    compare(name + " output", out, decode(c.at("output")));
    out.backward(decode(c.at("grad_out")));
    for (auto it = c.at("grads").begin(); it != c.at("grads").end(); ++it) {
      REQUIRE(inputs[it.key()].grad().defined());
      compare(name + " grad " + it.key(), inputs[it.key()].grad(), decode(it.value()));
    }
    ++count;
  }
  CHECK(count == 19);
  MESSAGE("worst relative error vs PyTorch: ", worst, " (", where, ")");
}

// The layers the fixture's "modules" names, built as the script builds them.
std::map<std::string, std::shared_ptr<nn::Module>> layers() {
  using std::make_shared;
  return {
      {"identity", make_shared<nn::Identity>()},
      {"leaky_relu", make_shared<nn::LeakyReLU>()},
      {"leaky_relu_0.2", make_shared<nn::LeakyReLU>(nn::LeakyReLUOptions().negative_slope(0.2))},
      {"gelu", make_shared<nn::GELU>()},
      {"gelu_tanh", make_shared<nn::GELU>(nn::GELUOptions().approximate("tanh"))},
      {"silu", make_shared<nn::SiLU>()},
      {"layer_norm", make_shared<nn::LayerNorm>(nn::LayerNormOptions({10}))},
      {"layer_norm_options",
       make_shared<nn::LayerNorm>(nn::LayerNormOptions({4, 5}).eps(1e-3).elementwise_affine(false))},
      {"group_norm", make_shared<nn::GroupNorm>(nn::GroupNormOptions(2, 4))},
      {"group_norm_options",
       make_shared<nn::GroupNorm>(nn::GroupNormOptions(3, 6).eps(1e-3).affine(false))},
      {"dropout2d", make_shared<nn::Dropout2d>()},
      {"dropout2d_p", make_shared<nn::Dropout2d>(0.3)},
      {"embedding", make_shared<nn::Embedding>(10, 3)},
      {"embedding_padding", make_shared<nn::Embedding>(nn::EmbeddingOptions(10, 3).padding_idx(-1))},
      {"conv1d", make_shared<nn::Conv1d>(16, 33, 3)},
      {"conv1d_options", make_shared<nn::Conv1d>(nn::Conv1dOptions(4, 6, 3)
                                                     .stride(2)
                                                     .padding(1)
                                                     .dilation(2)
                                                     .groups(2)
                                                     .bias(false))},
      {"conv_transpose2d", make_shared<nn::ConvTranspose2d>(16, 8, 3)},
      {"conv_transpose2d_options",
       make_shared<nn::ConvTranspose2d>(nn::ConvTranspose2dOptions(4, 6, {3, 2})
                                            .stride(2)
                                            .padding(1)
                                            .output_padding(1)
                                            .groups(2)
                                            .dilation({2, 1})
                                            .bias(false))},
  };
}

TEST_CASE("new layers print PyTorch's repr and have its state_dict keys and shapes") {
  const json& modules = golden().at("modules");
  const auto built = layers();
  CHECK(built.size() == modules.size());
  for (const auto& [name, module] : built) {
    CAPTURE(name);
    const json& expected = modules.at(name);
    CHECK(module->repr() == expected.at("repr").get<std::string>());
    const nn::StateDict state = module->state_dict();
    const json& keys = expected.at("state_dict");
    REQUIRE(state.size() == keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const std::string key = keys[i].at(0);
      CHECK(state.keys()[i] == key);
      CHECK(state.at(key).shape() == keys[i].at(1).get<Shape>());
    }
  }
}

TEST_CASE("new layers' errors use PyTorch's words") {
  auto text = [](const char* key) { return golden().at("errors").at(key).get<std::string>(); };
  CHECK_THROWS_WITH_AS(F::layer_norm(randn({2, 3}), F::LayerNormFuncOptions({4})),
                       text("layer_norm_shape").c_str(), Error);
  CHECK_THROWS_WITH_AS(F::layer_norm(randn({2, 4}), F::LayerNormFuncOptions({4}).weight(randn({3}))),
                       text("layer_norm_weight").c_str(), Error);
  CHECK_THROWS_WITH_AS(F::group_norm(randn({2, 3, 4}), 2), text("group_norm_groups").c_str(),
                       Error);
  CHECK_THROWS_WITH_AS(F::group_norm(randn({2, 4, 5}), F::GroupNormFuncOptions(2).weight(randn({3}))),
                       text("group_norm_weight").c_str(), Error);
  CHECK_THROWS_WITH_AS(nn::GroupNorm(nn::GroupNormOptions(4, 6)), text("group_norm_module").c_str(),
                       Error);
  CHECK_THROWS_WITH_AS(F::gelu(randn({2}), F::GELUFuncOptions().approximate("fast")),
                       text("gelu_approximate").c_str(), Error);
  CHECK_THROWS_WITH_AS(nn::GELU(nn::GELUOptions().approximate("fast")),
                       text("gelu_approximate").c_str(), Error);
  CHECK_THROWS_WITH_AS(F::embedding(tensor_int64({10}), randn({10, 3})),
                       text("embedding_index").c_str(), Error);
  CHECK_THROWS_WITH_AS(nn::Embedding(nn::EmbeddingOptions(10, 3).padding_idx(10)),
                       text("embedding_padding").c_str(), Error);
  CHECK_THROWS_WITH_AS(F::conv1d(randn({2, 3, 4, 5}), randn({2, 3, 3})),
                       text("conv1d_input").c_str(), Error);
  CHECK_THROWS_WITH_AS(F::conv_transpose2d(randn({1, 2, 3, 3}), randn({2, 2, 3, 3}),
                                           F::ConvTranspose2dFuncOptions().output_padding(1)),
                       text("conv_transpose2d_output_padding").c_str(), Error);
  CHECK_THROWS_WITH_AS(F::conv_transpose2d(randn({1, 5, 6, 6}), randn({4, 3, 3, 3})),
                       text("conv_transpose2d_channels").c_str(), Error);
  CHECK_THROWS_WITH_AS(nn::Dropout2d(1.5), text("dropout2d_p").c_str(), Error);
}

TEST_CASE("new layers: ember's own refusals name the argument") {
  CHECK_THROWS_WITH_AS(nn::Embedding(nn::EmbeddingOptions(10, 3).max_norm(1.0)),
                       "embedding: max_norm is not supported; ember does not renormalise rows",
                       Error);
  CHECK_THROWS_WITH_AS(nn::Embedding(nn::EmbeddingOptions(10, 3).sparse(true)),
                       "embedding: sparse=True is not supported; ember's gradients are dense",
                       Error);
  CHECK_THROWS_WITH_AS(F::embedding(randn({2}), randn({10, 3})),
                       "embedding: expected indices of dtype int64, found float32", Error);
  CHECK_THROWS_WITH_AS(nn::Conv1d(nn::Conv1dOptions(4, 6, 3).groups(4)),
                       "Conv1d: out_channels must be divisible by groups (found 6 and groups=4)",
                       Error);
  CHECK_THROWS_WITH_AS(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(4, 6, 3).groups(4)),
                       "out_channels must be divisible by groups", Error);
  CHECK_THROWS_WITH_AS(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(4, 6, 3).padding_mode("reflect")),
                       "Only \"zeros\" padding mode is supported for ConvTranspose2d", Error);
  CHECK_THROWS_WITH_AS(F::conv_transpose2d(randn({1, 2, 1, 1}), randn({2, 2, 1, 1}),
                                           F::ConvTranspose2dFuncOptions().padding(1)),
                       "Given input size per channel: (1 x 1). Calculated output size per channel: "
                       "(-1 x -1). Output size is too small", Error);
  CHECK_THROWS_WITH_AS(F::dropout2d(randn({4})),
                       "Feature dropout requires at least 2 dimensions in the input", Error);
}

}  // namespace
}  // namespace ember
