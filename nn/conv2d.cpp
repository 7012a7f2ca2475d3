// Conv2d, the layer: its options, parameters and their initialisation. The op is
// functional::conv2d (nn/conv2d_op.cpp).
#include "ember/nn/conv2d.h"

#include <cmath>

#include "ember/nn/functional.h"
#include "ember/nn/init.h"
#include "ember/tensor/factories.h"

namespace ember::nn {

// ---- the layer --------------------------------------------------------------------------------

Conv2d::Conv2d(const Conv2dOptions& opts) : options(opts) {
  // PyTorch's ValueErrors, raised before any parameter is made.
  const std::int64_t in_channels = options.in_channels(), out_channels = options.out_channels();
  const std::int64_t groups = options.groups();
  const Pair kernel_size = options.kernel_size(), stride = options.stride();
  const Pair padding = options.padding(), dilation = options.dilation();
  check(groups > 0, "Conv2d: groups must be a positive integer, found ", groups);
  check(in_channels > 0 && out_channels > 0, "Conv2d: expected positive in_channels and "
        "out_channels, found ", in_channels, " and ", out_channels);
  check(in_channels % groups == 0, "Conv2d: in_channels must be divisible by groups (found ",
        in_channels, " and groups=", groups, ")");
  check(out_channels % groups == 0, "Conv2d: out_channels must be divisible by groups (found ",
        out_channels, " and groups=", groups, ")");
  check(kernel_size.h > 0 && kernel_size.w > 0, "Conv2d: expected kernel_size > 0, found ",
        kernel_size);
  check(stride.h > 0 && stride.w > 0, "Conv2d: expected stride > 0, found ", stride);
  check(padding.h >= 0 && padding.w >= 0, "Conv2d: expected padding >= 0, found ",
        padding);
  check(dilation.h > 0 && dilation.w > 0, "Conv2d: expected dilation > 0, found ",
        dilation);
  const std::string& mode = options.padding_mode();
  check(mode == "zeros" || mode == "reflect" || mode == "replicate" || mode == "circular",
        "Conv2d: padding_mode must be one of {'zeros', 'reflect', 'replicate', 'circular'}, but "
        "got padding_mode='", mode, "'");
  check(mode == "zeros", "Conv2d: padding_mode='", mode, "' is not supported; ember pads with "
        "zeros only");

  weight = register_parameter(
      "weight", empty({out_channels, in_channels / groups, kernel_size.h, kernel_size.w}));
  if (options.bias()) bias = register_parameter("bias", empty({out_channels}));
  reset_parameters();
}

void Conv2d::reset_parameters() {
  // kaiming_uniform_(a = sqrt(5)) gives the bound gain sqrt(3 / fan_in) with
  // gain sqrt(2 / (1 + 5)), that is 1 / sqrt(fan_in).
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const Pair k = options.kernel_size();
    const double fan_in = static_cast<double>(options.in_channels() / options.groups() * k.h * k.w);
    const double bound = 1.0 / std::sqrt(fan_in);
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Conv2d::forward(const Tensor& input) {
  return functional::conv2d(input, weight,
                            functional::Conv2dFuncOptions()
                                .bias(bias)
                                .stride(options.stride())
                                .padding(options.padding())
                                .dilation(options.dilation())
                                .groups(options.groups()));
}

std::string Conv2d::extra_repr() const {
  std::string s = str(options.in_channels(), ", ", options.out_channels(),
                      ", kernel_size=", options.kernel_size().tuple_str(),
                      ", stride=", options.stride().tuple_str());
  if (options.padding() != Pair(0)) s += ", padding=" + options.padding().tuple_str();
  if (options.dilation() != Pair(1)) s += ", dilation=" + options.dilation().tuple_str();
  if (options.groups() != 1) s += str(", groups=", options.groups());
  if (!bias.defined()) s += ", bias=False";
  return s;
}

}  // namespace ember::nn
