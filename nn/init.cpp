// torch.nn.init: the fills, and the fan and gain formulas the Glorot and He schemes are built on.
#include "ember/nn/init.h"

#include <cmath>
#include <type_traits>

#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"

namespace ember::nn::init {
namespace {

// Fills tensor with draw(gen) converted to its dtype, under no-grad, in place (a contiguous
// tensor directly, any other through copy_), and bumps its version counter.
template <class Draw>
Tensor fill_random(Tensor tensor, const char* op, Generator* generator, Draw draw) {
  check(tensor.defined(), op, ": expected a defined tensor");
  if (tensor.numel() == 0) return tensor;  // PyTorch warns "Initializing zero-element tensors is a no-op"
  Generator& gen = generator ? *generator : default_generator();
  NoGradGuard no_grad;
  detail::dispatch_floating(tensor.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    Tensor target = tensor.is_contiguous() ? tensor : empty(tensor.shape(), tensor.dtype());
    T* p = target.data_ptr<T>();
    for (std::int64_t i = 0; i < target.numel(); ++i) p[i] = static_cast<T>(draw(gen, zero));
    if (target.is_same(tensor)) tensor.storage()->bump_version();
    else tensor.copy_(target);
  });
  return tensor;
}

// 24 random bits for float32 and 53 for float64, as PyTorch draws them.
template <class T>
double unit_uniform(Generator& gen) {
  if constexpr (std::is_same_v<T, float>) return gen.uniform_float();
  else return gen.uniform_double();
}

// PyTorch's _calculate_correct_fan.
std::int64_t correct_fan(const Tensor& tensor, const std::string& mode) {
  check(mode == "fan_in" || mode == "fan_out", "Mode ", mode,
        " not supported, please use one of ['fan_in', 'fan_out']");
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  return mode == "fan_in" ? fan_in : fan_out;
}

}  // namespace

double calculate_gain(const std::string& nonlinearity, std::optional<double> param) {
  if (nonlinearity == "linear" || nonlinearity == "conv1d" || nonlinearity == "conv2d" ||
      nonlinearity == "conv3d" || nonlinearity == "conv_transpose1d" ||
      nonlinearity == "conv_transpose2d" || nonlinearity == "conv_transpose3d" ||
      nonlinearity == "sigmoid")
    return 1.0;
  if (nonlinearity == "tanh") return 5.0 / 3.0;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") {
    const double negative_slope = param.value_or(0.01);
    check(std::isfinite(negative_slope), "negative_slope ", negative_slope,
          " not a valid number");
    return std::sqrt(2.0 / (1.0 + negative_slope * negative_slope));
  }
  // Value chosen by PyTorch to give the right scale with SELU (see torch.nn.init's docs).
  if (nonlinearity == "selu") return 3.0 / 4.0;
  throw Error(str("Unsupported nonlinearity ", nonlinearity));
}

std::pair<std::int64_t, std::int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor) {
  check(tensor.defined(), "calculate_fan_in_and_fan_out: expected a defined tensor");
  check(tensor.dim() >= 2,
        "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
  std::int64_t receptive_field = 1;
  for (std::int64_t d = 2; d < tensor.dim(); ++d) receptive_field *= tensor.size(d);
  return {tensor.size(1) * receptive_field, tensor.size(0) * receptive_field};
}

Tensor uniform_(Tensor tensor, double a, double b, Generator* generator) {
  check(a <= b, "uniform_: expects to return a [from, to) range, but found from=", a, " > to=", b);
  return fill_random(tensor, "uniform_", generator, [a, b](Generator& gen, auto zero) {
    return a + (b - a) * unit_uniform<decltype(zero)>(gen);
  });
}

Tensor normal_(Tensor tensor, double mean, double std, Generator* generator) {
  check(std >= 0.0, "normal_: expects std >= 0.0, but found std ", std);
  return fill_random(tensor, "normal_", generator,
                     [mean, std](Generator& gen, auto) { return mean + std * gen.normal(); });
}

Tensor constant_(Tensor tensor, double value) {
  check(tensor.defined(), "constant_: expected a defined tensor");
  NoGradGuard no_grad;
  tensor.fill_(value);
  return tensor;
}

Tensor zeros_(Tensor tensor) { return constant_(tensor, 0.0); }
Tensor ones_(Tensor tensor) { return constant_(tensor, 1.0); }

Tensor xavier_uniform_(Tensor tensor, double gain, Generator* generator) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  if (tensor.numel() == 0) return tensor;
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  const double bound = std::sqrt(3.0) * std;  // U(-b, b) has variance b^2 / 3
  return uniform_(tensor, -bound, bound, generator);
}

Tensor xavier_normal_(Tensor tensor, double gain, Generator* generator) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  if (tensor.numel() == 0) return tensor;
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  return normal_(tensor, 0.0, std, generator);
}

Tensor kaiming_uniform_(Tensor tensor, double a, const std::string& mode,
                        const std::string& nonlinearity, Generator* generator) {
  if (tensor.defined() && tensor.numel() == 0) return tensor;
  const std::int64_t fan = correct_fan(tensor, mode);
  const double std = calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan));
  const double bound = std::sqrt(3.0) * std;
  return uniform_(tensor, -bound, bound, generator);
}

Tensor kaiming_normal_(Tensor tensor, double a, const std::string& mode,
                       const std::string& nonlinearity, Generator* generator) {
  if (tensor.defined() && tensor.numel() == 0) return tensor;
  const std::int64_t fan = correct_fan(tensor, mode);
  const double std = calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan));
  return normal_(tensor, 0.0, std, generator);
}

}  // namespace ember::nn::init
