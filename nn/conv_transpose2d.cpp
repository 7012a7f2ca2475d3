// ConvTranspose2d and functional::conv_transpose2d, built from conv2d's kernels
// (nn/conv2d_kernels.h): a transposed convolution is the input-gradient of the convolution
// that maps its output back to its input, so its forward is that conv's backward-input (GEMM and
// col2im), and its backward is that conv's forward (for the input) and weight gradient.
#include "ember/nn/conv_transpose2d.h"

#include <cmath>

#include "ember/nn/conv2d_kernels.h"
#include "ember/nn/functional.h"
#include "ember/nn/init.h"
#include "ember/nn/size_list.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"

namespace ember::nn {
namespace {

using detail::bracket_list;

// The convolution from conv_transpose2d's output (N, O, Ho, Wo) to its input (N, C, H, W), with
// conv_transpose2d's weight (C, O/groups, kH, kW) as that conv's (out, in/groups, kH, kW).
// Checks the arguments with PyTorch's wording where it has one.
detail::ConvShape check_conv_transpose2d(const Tensor& input, const Tensor& weight,
                                         const Tensor& bias,
                                         const functional::ConvTranspose2dFuncOptions& o) {
  const Pair stride = o.stride(), padding = o.padding(), out_pad = o.output_padding();
  const Pair dilation = o.dilation();
  const std::int64_t groups = o.groups();
  check(input.dim() == 4, "conv_transpose2d: expected input with 4 dimensions (N, C, H, W), "
        "found ", input.shape());
  check(weight.defined() && weight.dim() == 4, "conv_transpose2d: expected weight with 4 "
        "dimensions (C, O/groups, kH, kW), found ", weight.defined() ? weight.shape() : Shape{});
  check(input.dtype() == kFloat32 || input.dtype() == kFloat64,
        "conv_transpose2d: expected a float32 or float64 input, found ", dtype_name(input.dtype()));
  check(weight.dtype() == input.dtype(), "conv_transpose2d: expected weight of dtype ",
        dtype_name(input.dtype()), " (the input's), found ", dtype_name(weight.dtype()));
  check(groups > 0, "non-positive groups is not supported");
  check(stride.h > 0 && stride.w > 0, "non-positive stride is not supported");
  check(padding.h >= 0 && padding.w >= 0, "negative padding is not supported");
  check(dilation.h > 0 && dilation.w > 0, "dilation should be greater than zero, but got "
        "dilation_height: ", dilation.h, " dilation_width: ", dilation.w);
  check(out_pad.h >= 0 && out_pad.w >= 0, "negative output_padding is not supported");
  check((out_pad.h < stride.h || out_pad.h < dilation.h) &&
            (out_pad.w < stride.w || out_pad.w < dilation.w),
        "output padding must be smaller than either stride or dilation, but got "
        "output_padding_height: ", out_pad.h, " output_padding_width: ", out_pad.w,
        " stride_height: ", stride.h, " stride_width: ", stride.w, " dilation_height: ",
        dilation.h, " dilation_width: ", dilation.w);
  const std::int64_t in_channels = weight.size(0);
  check(in_channels % groups == 0, "conv_transpose2d: expected weight ", weight.shape(),
        " with in_channels divisible by groups=", groups);
  check(input.size(1) == in_channels, "Given transposed=1, weight of size ",
        bracket_list(weight.shape()), ", expected input", bracket_list(input.shape()), " to have ",
        in_channels, " channels, but got ", input.size(1), " channels instead");
  const std::int64_t out_channels = weight.size(1) * groups;
  if (bias.defined()) {
    check(bias.dtype() == input.dtype(), "conv_transpose2d: expected bias of dtype ",
          dtype_name(input.dtype()), " (the input's), found ", dtype_name(bias.dtype()));
    check(bias.dim() == 1 && bias.size(0) == out_channels, "conv_transpose2d: expected bias of "
          "shape ", Shape{out_channels}, ", found ", bias.shape());
  }
  const std::int64_t kh = weight.size(2), kw = weight.size(3);
  const std::int64_t h = input.size(2), w = input.size(3);
  const std::int64_t out_h = (h - 1) * stride.h - 2 * padding.h + dilation.h * (kh - 1) + out_pad.h + 1;
  const std::int64_t out_w = (w - 1) * stride.w - 2 * padding.w + dilation.w * (kw - 1) + out_pad.w + 1;
  check(out_h > 0 && out_w > 0, "Given input size per channel: (", h, " x ", w,
        "). Calculated output size per channel: (", out_h, " x ", out_w,
        "). Output size is too small");
  // The conv's output size is set, not derived: with output_padding the conv of an (Ho, Wo)
  // image may have room for more windows than there are input pixels, and those are not used.
  detail::ConvShape s{input.size(0), out_channels, in_channels, groups, {}};
  s.image = {weight.size(1), out_h, out_w, kh, kw, stride.h, stride.w, padding.h, padding.w,
             dilation.h, dilation.w, h, w};
  return s;
}

}  // namespace

namespace functional {

// y = conv2d's input-gradient for "gradient" x, plus bias: input (N, C, H, W), weight
// (C, O/groups, kH, kW) -> y (N, O, Ho, Wo), y[n, o] = bias[o] + the sum over c in o's group,
// (h, w) and (i, j) of x[n, c, h, w] weight[c, o, i, j] placed at (h sH - pH + i dH,
// w sW - pW + j dW).
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight,
                        const ConvTranspose2dFuncOptions& options) {
  check(input.defined() && (input.dim() == 3 || input.dim() == 4),
        "Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of "
        "size: ", bracket_list(input.defined() ? input.shape() : Shape{}));
  if (input.dim() == 3) return conv_transpose2d(input.unsqueeze(0), weight, options).squeeze(0);
  const Tensor& bias = options.bias();
  const detail::ConvShape s = check_conv_transpose2d(input, weight, bias, options);
  const Tensor x = input.contiguous(), w = weight.contiguous();
  Tensor y = empty({s.batch, s.in_channels, s.image.height, s.image.width}, input.dtype());
  const std::int64_t plane = s.image.height * s.image.width;
  ember::detail::dispatch_floating(input.dtype(), "conv_transpose2d", [&](auto zero) {
    using T = decltype(zero);
    T* py = y.data_ptr<T>();
    detail::conv2d_backward<T>(x.data_ptr<T>(), nullptr, w.data_ptr<T>(), py, nullptr, nullptr,
                               s);
    if (!bias.defined()) return;
    const Tensor b = bias.contiguous();
    const T* pb = b.data_ptr<T>();
    for (std::int64_t i = 0; i < s.batch * s.in_channels; ++i) {
      for (std::int64_t p = 0; p < plane; ++p) py[i * plane + p] += pb[i % s.in_channels];
    }
  });
  if (!autograd::needs_grad({input, weight, bias})) return y;

  // With the conv C from y's shape to x's (weight w):  y = C^T x + b, so
  //   dL/dx = C dL/dy            (conv2d's forward of dL/dy)
  //   dL/dw = conv2d's weight gradient with "output gradient" x and "input" dL/dy
  //   dL/db = sum of dL/dy over samples and pixels.
  const bool want_input = input.requires_grad(), want_weight = weight.requires_grad();
  const bool want_bias = bias.defined() && bias.requires_grad();
  autograd::SavedTensor saved_x(want_weight ? x : Tensor()), saved_w(want_input ? w : Tensor());
  return autograd::record(
      y, "ConvolutionBackward0", {input, weight, bias}, [=](const Tensor& grad_output) {
        const Tensor dy = grad_output.contiguous();
        Tensor dx = want_input ? empty({s.batch, s.out_channels, s.image.out_h, s.image.out_w},
                                       dy.dtype())
                               : Tensor();
        Tensor dw = want_weight ? empty({s.out_channels, s.image.channels, s.image.kernel_h,
                                         s.image.kernel_w}, dy.dtype())
                                : Tensor();
        Tensor db = want_bias ? zeros({s.in_channels}, dy.dtype()) : Tensor();
        ember::detail::dispatch_floating(dy.dtype(), "conv_transpose2d backward", [&](auto zero) {
          using T = decltype(zero);
          const T* pdy = dy.data_ptr<T>();
          if (want_input) {
            const Tensor wt = saved_w.get();
            detail::conv2d_forward<T>(pdy, wt.data_ptr<T>(), nullptr, dx.data_ptr<T>(), s);
          }
          if (want_weight) {
            const Tensor xs = saved_x.get();
            detail::conv2d_backward<T>(xs.data_ptr<T>(), pdy, nullptr, nullptr, dw.data_ptr<T>(),
                                       nullptr, s);
          }
          if (want_bias) {
            T* pdb = db.data_ptr<T>();
            const std::int64_t plane = s.image.height * s.image.width;
            for (std::int64_t i = 0; i < s.batch * s.in_channels; ++i) {
              T sum(0);
              for (std::int64_t p = 0; p < plane; ++p) sum += pdy[i * plane + p];
              pdb[i % s.in_channels] += sum;
            }
          }
        });
        return std::vector<Tensor>{dx, dw, db};
      });
}

}  // namespace functional

ConvTranspose2d::ConvTranspose2d(const ConvTranspose2dOptions& opts) : options(opts) {
  // PyTorch's ValueErrors, raised before any parameter is made.
  const std::int64_t in_channels = options.in_channels(), out_channels = options.out_channels();
  const std::int64_t groups = options.groups();
  const Pair kernel_size = options.kernel_size(), stride = options.stride();
  const Pair padding = options.padding(), dilation = options.dilation();
  const Pair out_pad = options.output_padding();
  check(groups > 0, "ConvTranspose2d: groups must be a positive integer, found ", groups);
  check(in_channels > 0 && out_channels > 0, "ConvTranspose2d: expected positive in_channels and "
        "out_channels, found ", in_channels, " and ", out_channels);
  check(in_channels % groups == 0, "in_channels must be divisible by groups");
  check(out_channels % groups == 0, "out_channels must be divisible by groups");
  check(kernel_size.h > 0 && kernel_size.w > 0,
        "ConvTranspose2d: expected kernel_size > 0, found ", kernel_size);
  check(stride.h > 0 && stride.w > 0, "ConvTranspose2d: expected stride > 0, found ", stride);
  check(padding.h >= 0 && padding.w >= 0, "ConvTranspose2d: expected padding >= 0, found ",
        padding);
  check(dilation.h > 0 && dilation.w > 0, "ConvTranspose2d: expected dilation > 0, found ",
        dilation);
  check(out_pad.h >= 0 && out_pad.w >= 0,
        "ConvTranspose2d: expected output_padding >= 0, found ", out_pad);
  check(options.padding_mode() == "zeros",
        "Only \"zeros\" padding mode is supported for ConvTranspose2d");

  weight = register_parameter(
      "weight", empty({in_channels, out_channels / groups, kernel_size.h, kernel_size.w}));
  if (options.bias()) bias = register_parameter("bias", empty({out_channels}));
  reset_parameters();
}

void ConvTranspose2d::reset_parameters() {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const double fan_in = static_cast<double>(init::calculate_fan_in_and_fan_out(weight).first);
    const double bound = 1.0 / std::sqrt(fan_in);
    init::uniform_(bias, -bound, bound);
  }
}

Tensor ConvTranspose2d::forward(const Tensor& input) {
  return functional::conv_transpose2d(input, weight,
                                      functional::ConvTranspose2dFuncOptions()
                                          .bias(bias)
                                          .stride(options.stride())
                                          .padding(options.padding())
                                          .output_padding(options.output_padding())
                                          .groups(options.groups())
                                          .dilation(options.dilation()));
}

std::string ConvTranspose2d::extra_repr() const {
  std::string s = str(options.in_channels(), ", ", options.out_channels(),
                      ", kernel_size=", options.kernel_size().tuple_str(),
                      ", stride=", options.stride().tuple_str());
  if (options.padding() != Pair(0)) s += ", padding=" + options.padding().tuple_str();
  if (options.dilation() != Pair(1)) s += ", dilation=" + options.dilation().tuple_str();
  if (options.output_padding() != Pair(0)) {
    s += ", output_padding=" + options.output_padding().tuple_str();
  }
  if (options.groups() != 1) s += str(", groups=", options.groups());
  if (!bias.defined()) s += ", bias=False";
  return s;
}

}  // namespace ember::nn
