// Conv1d and functional::conv1d: an (N, C, L) sequence is convolved as the (N, C, 1, L) image
// by conv2d (nn/conv2d_op.cpp), whose backward then gives conv1d's through the views.
#include "ember/nn/conv1d.h"

#include <cmath>

#include "ember/nn/functional.h"
#include "ember/nn/init.h"
#include "ember/nn/size_list.h"
#include "ember/tensor/factories.h"

namespace ember::nn {

namespace functional {

// out[n, o, x] = bias[o] + sum over c in o's group, k < K of
//                weight[o, c, k] * input[n, g C/groups + c, x s - p + k d].
// input (N, C, L) -> (N, C, 1, L), weight (O, C/groups, K) -> (O, C/groups, 1, K); conv2d with
// stride (1, s), padding (0, p), dilation (1, d) gives (N, O, 1, Lo), viewed back as (N, O, Lo).
// Its backward is conv2d's, reshaped by the views' backward.
Tensor conv1d(const Tensor& input, const Tensor& weight, const Conv1dFuncOptions& options) {
  check(input.defined() && (input.dim() == 2 || input.dim() == 3),
        "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: ",
        detail::bracket_list(input.defined() ? input.shape() : Shape{}));
  check(weight.defined() && weight.dim() == 3,
        "conv1d: expected weight with 3 dimensions (O, C/groups, K), found ",
        weight.defined() ? weight.shape() : Shape{});
  const bool batched = input.dim() == 3;
  const Tensor x = (batched ? input : input.unsqueeze(0)).unsqueeze(2);
  const Tensor y = conv2d(x, weight.unsqueeze(2),
                          Conv2dFuncOptions()
                              .bias(options.bias())
                              .stride(Pair(1, options.stride()))
                              .padding(Pair(0, options.padding()))
                              .dilation(Pair(1, options.dilation()))
                              .groups(options.groups()));
  return batched ? y.squeeze(2) : y.squeeze(2).squeeze(0);
}

}  // namespace functional

Conv1d::Conv1d(const Conv1dOptions& opts) : options(opts) {
  // PyTorch's ValueErrors, raised before any parameter is made.
  const std::int64_t in_channels = options.in_channels(), out_channels = options.out_channels();
  const std::int64_t groups = options.groups(), kernel_size = options.kernel_size();
  check(groups > 0, "Conv1d: groups must be a positive integer, found ", groups);
  check(in_channels > 0 && out_channels > 0, "Conv1d: expected positive in_channels and "
        "out_channels, found ", in_channels, " and ", out_channels);
  check(in_channels % groups == 0, "Conv1d: in_channels must be divisible by groups (found ",
        in_channels, " and groups=", groups, ")");
  check(out_channels % groups == 0, "Conv1d: out_channels must be divisible by groups (found ",
        out_channels, " and groups=", groups, ")");
  check(kernel_size > 0, "Conv1d: expected kernel_size > 0, found ", kernel_size);
  check(options.stride() > 0, "Conv1d: expected stride > 0, found ", options.stride());
  check(options.padding() >= 0, "Conv1d: expected padding >= 0, found ", options.padding());
  check(options.dilation() > 0, "Conv1d: expected dilation > 0, found ", options.dilation());
  check(options.padding_mode() == "zeros", "Conv1d: padding_mode='", options.padding_mode(),
        "' is not supported; ember pads with zeros only");

  weight = register_parameter("weight", empty({out_channels, in_channels / groups, kernel_size}));
  if (options.bias()) bias = register_parameter("bias", empty({out_channels}));
  reset_parameters();
}

void Conv1d::reset_parameters() {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const double fan_in =
        static_cast<double>(options.in_channels() / options.groups() * options.kernel_size());
    const double bound = 1.0 / std::sqrt(fan_in);
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Conv1d::forward(const Tensor& input) {
  return functional::conv1d(input, weight,
                            functional::Conv1dFuncOptions()
                                .bias(bias)
                                .stride(options.stride())
                                .padding(options.padding())
                                .dilation(options.dilation())
                                .groups(options.groups()));
}

std::string Conv1d::extra_repr() const {
  auto one = [](std::int64_t v) { return str("(", v, ",)"); };
  std::string s = str(options.in_channels(), ", ", options.out_channels(),
                      ", kernel_size=", one(options.kernel_size()),
                      ", stride=", one(options.stride()));
  if (options.padding() != 0) s += ", padding=" + one(options.padding());
  if (options.dilation() != 1) s += ", dilation=" + one(options.dilation());
  if (options.groups() != 1) s += str(", groups=", options.groups());
  if (!bias.defined()) s += ", bias=False";
  return s;
}

}  // namespace ember::nn
