// Weight initialisation in place, with PyTorch's formulas (torch.nn.init).
//
// Each function fills a tensor in place under no-grad (so it works on parameters that require
// grad), bumps its version counter, and returns it. Tensor is a handle, so passing it by value
// fills the caller's data: init::normal_(conv->weight, 0.0, 0.001). Random draws come from
// generator, or from default_generator() when it is null. A zero-element tensor is left alone,
// as in PyTorch.
// https://pytorch.org/docs/stable/nn.init.html
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "ember/tensor/generator.h"
#include "ember/tensor/tensor.h"

namespace ember::nn::init {

// The recommended gain for a nonlinearity: 1 for linear, conv*d, conv_transpose*d and sigmoid;
// 5/3 for tanh; sqrt(2) for relu; sqrt(2 / (1 + negative_slope^2)) for leaky_relu (param is the
// slope, 0.01 when absent); 3/4 for selu. Other names: Error "Unsupported nonlinearity foo".
double calculate_gain(const std::string& nonlinearity, std::optional<double> param = std::nullopt);

// (fan_in, fan_out) = (size(1) * receptive, size(0) * receptive), receptive being the product
// of the dims after the second (kH * kW for a conv weight). Needs at least 2 dims.
std::pair<std::int64_t, std::int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor);

// U(a, b).
Tensor uniform_(Tensor tensor, double a = 0.0, double b = 1.0, Generator* generator = nullptr);
// N(mean, std^2).
Tensor normal_(Tensor tensor, double mean = 0.0, double std = 1.0,
               Generator* generator = nullptr);
Tensor constant_(Tensor tensor, double value);
Tensor zeros_(Tensor tensor);
Tensor ones_(Tensor tensor);

// Glorot: std = gain sqrt(2 / (fan_in + fan_out)); uniform draws from U(-sqrt(3) std, sqrt(3) std).
Tensor xavier_uniform_(Tensor tensor, double gain = 1.0, Generator* generator = nullptr);
Tensor xavier_normal_(Tensor tensor, double gain = 1.0, Generator* generator = nullptr);

// He: std = calculate_gain(nonlinearity, a) / sqrt(fan), fan from mode "fan_in" (preserves the
// forward pass's variance) or "fan_out" (the backward pass's); uniform draws from
// U(-sqrt(3) std, sqrt(3) std). Linear and Conv2d default to kaiming_uniform_(w, sqrt(5)).
Tensor kaiming_uniform_(Tensor tensor, double a = 0.0, const std::string& mode = "fan_in",
                        const std::string& nonlinearity = "leaky_relu",
                        Generator* generator = nullptr);
Tensor kaiming_normal_(Tensor tensor, double a = 0.0, const std::string& mode = "fan_in",
                       const std::string& nonlinearity = "leaky_relu",
                       Generator* generator = nullptr);

}  // namespace ember::nn::init
