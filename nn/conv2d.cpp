// Conv2d: the convolution kernels (im2col + GEMM, or nn/conv_direct.h for few input channels),
// forward and backward side by side, their autograd node, and the layer that holds the
// parameters.
#include "ember/nn/conv2d.h"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <vector>

#include "ember/nn/conv_direct.h"
#include "ember/nn/conv_im2col.h"
#include "ember/nn/functional.h"
#include "ember/nn/init.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/gemm.h"

namespace ember::nn {
namespace {

template <class T>
using RowMajorMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MatrixMap = Eigen::Map<RowMajorMatrix<T>>;
template <class T>
using ConstMatrixMap = Eigen::Map<const RowMajorMatrix<T>>;

// The sizes of one conv2d call: batch, channels and groups around one image's geometry.
struct ConvShape {
  std::int64_t batch, in_channels, out_channels, groups;
  detail::ConvGeometry image;  // one group of one sample: channels = in_channels / groups

  std::int64_t out_per_group() const { return out_channels / groups; }
  std::int64_t input_numel() const { return in_channels * image.height * image.width; }
  std::int64_t output_numel() const { return out_channels * image.col_cols(); }
  // Multiply-adds of one pass (forward, or one of the two backward products).
  double macs() const {
    return static_cast<double>(batch) * out_channels * image.col_rows() * image.col_cols();
  }
};

// Checks everything a user can get wrong, with PyTorch's wording where it has one.
ConvShape check_conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                       Pair stride, Pair padding, Pair dilation, std::int64_t groups) {
  check(input.dim() == 4, "conv2d: expected input with 4 dimensions (N, C, H, W), found ",
        input.shape());
  check(weight.dim() == 4, "conv2d: expected weight with 4 dimensions (O, C/groups, kH, kW), found ",
        weight.shape());
  check(input.dtype() == kFloat32 || input.dtype() == kFloat64,
        "conv2d: expected a float32 or float64 input, found ", dtype_name(input.dtype()));
  check(weight.dtype() == input.dtype(), "conv2d: expected weight of dtype ",
        dtype_name(input.dtype()), " (the input's), found ", dtype_name(weight.dtype()));
  check(groups > 0, "conv2d: expected groups > 0, found ", groups);
  check(stride.h > 0 && stride.w > 0, "conv2d: expected stride > 0, found ", stride);
  check(padding.h >= 0 && padding.w >= 0, "conv2d: expected padding >= 0, found ",
        padding);
  check(dilation.h > 0 && dilation.w > 0, "conv2d: expected dilation > 0, found ",
        dilation);
  const std::int64_t out_channels = weight.size(0);
  check(out_channels % groups == 0, "conv2d: expected weight ", weight.shape(),
        " with out_channels divisible by groups=", groups);
  const std::int64_t expected_channels = weight.size(1) * groups;
  check(input.size(1) == expected_channels, "conv2d: expected input with ", expected_channels,
        " channels (weight ", weight.shape(),
        groups == 1 ? std::string() : str(", groups=", groups), "), found ", input.size(1));
  if (bias.defined()) {
    check(bias.dtype() == input.dtype(), "conv2d: expected bias of dtype ",
          dtype_name(input.dtype()), " (the input's), found ", dtype_name(bias.dtype()));
    check(bias.dim() == 1 && bias.size(0) == out_channels, "conv2d: expected bias of shape ",
          Shape{out_channels}, ", found ", bias.shape());
  }
  const std::int64_t kh = weight.size(2), kw = weight.size(3);
  const std::int64_t padded_h = input.size(2) + 2 * padding.h;
  const std::int64_t padded_w = input.size(3) + 2 * padding.w;
  const std::int64_t span_h = dilation.h * (kh - 1) + 1, span_w = dilation.w * (kw - 1) + 1;
  check(padded_h >= span_h && padded_w >= span_w, "conv2d: padded input size per channel (",
        padded_h, " x ", padded_w, ") is smaller than the dilated kernel (", span_h, " x ", span_w,
        "); the kernel can't be greater than the input");

  ConvShape s{input.size(0), input.size(1), out_channels, groups, {}};
  s.image = {weight.size(1), input.size(2), input.size(3), kh, kw, stride.h, stride.w,
             padding.h, padding.w, dilation.h, dilation.w,
             conv_output_size(input.size(2), kh, stride.h, padding.h, dilation.h),
             conv_output_size(input.size(3), kw, stride.w, padding.w, dilation.w)};
  return s;
}

// Below this many multiply-adds a conv runs on one thread: an OpenMP team costs microseconds.
constexpr double kParallelMacs = 1 << 18;

// How many contiguous ranges of samples to split a batch into: one per thread when the work is
// large enough, else one. The result depends only on the batch, the work and the thread count,
// so that partial sums combined in range order are bit-identical from run to run.
int sample_parts(const ConvShape& s) {
  if (s.macs() < kParallelMacs) return 1;
  return static_cast<int>(std::min<std::int64_t>(omp_get_max_threads(), s.batch));
}

// Runs fn(part, begin, end) for each of `parts` contiguous ranges of [0, n), in parallel.
template <class Fn>
void for_each_part(std::int64_t n, int parts, Fn&& fn) {
  if (parts == 1) {
    fn(0, std::int64_t{0}, n);
    return;
  }
#pragma omp parallel for schedule(static) num_threads(parts)
  for (int part = 0; part < parts; ++part) fn(part, n * part / parts, n * (part + 1) / parts);
}

// ---- forward ----------------------------------------------------------------------------------
// input (N, C, H, W), weight (O, C/groups, kH, kW), bias (O) or null -> out (N, O, Ho, Wo).
// Per sample and group: out_g (O/groups, Ho Wo) = bias + weight_g (O/groups, K) x col (K, Ho Wo),
// K = C/groups kH kW. Samples run in parallel; each writes only its own output. Layers with few
// input channels skip the col matrix and run the direct kernel (nn/conv_direct.h).
template <class T>
void conv2d_forward(const T* input, const T* weight, const T* bias, T* out, const ConvShape& s) {
  const detail::ConvGeometry& g = s.image;
  const std::int64_t K = g.col_rows(), P = g.col_cols(), Og = s.out_per_group();
  const std::int64_t group_in = g.channels * g.height * g.width;
  const bool pointwise = g.is_pointwise(), direct = detail::direct_conv_applies<T>(g);
  for_each_part(s.batch, sample_parts(s), [&](int, std::int64_t begin, std::int64_t end) {
    T* col = pointwise || direct ? nullptr
                                 : detail::thread_scratch<T, detail::Scratch::col>(K * P);
    for (std::int64_t n = begin; n < end; ++n) {
      for (std::int64_t grp = 0; grp < s.groups; ++grp) {
        const T* image = input + n * s.input_numel() + grp * group_in;
        const T* w_g = weight + grp * Og * K;
        const T* b_g = bias ? bias + grp * Og : nullptr;
        T* y_g = out + n * s.output_numel() + grp * Og * P;
        if (direct) {
          detail::direct_conv_forward(image, w_g, b_g, Og, g, y_g);
          continue;
        }
        if (!pointwise) detail::im2col(image, g, col);
        for (std::int64_t o = 0; b_g && o < Og; ++o) std::fill_n(y_g + o * P, P, b_g[o]);
        ember::detail::gemm<T>(Og, P, K, ember::detail::row_major(w_g, K),
                               ember::detail::row_major(pointwise ? image : col, P), y_g, P,
                               /*accumulate=*/b_g != nullptr);
      }
    }
  });
}

// ---- backward ---------------------------------------------------------------------------------
// With y = W col + b per sample and group:
//   dL/dcol = W^T dL/dy, and dL/dinput = col2im(dL/dcol)   (each input pixel sums the
//             gradients of every window entry it was copied to)
//   dL/dW   = sum over samples of dL/dy col^T
//   dL/db   = sum over samples and pixels of dL/dy
// im2col's weight gradient is summed transposed, dL/dW^T (K, O/groups) += col dL/dy^T, and
// transposed once per range of samples: the GEMM then reads col in place and packs only the
// smaller dL/dy, where dL/dy col^T would pack all of col^T for every sample (tensor/gemm.cpp).
// grad_out (N, O, Ho, Wo); grad_input (N, C, H, W), grad_weight (O, C/groups, kH, kW), grad_bias
// (O), each null when not wanted. The weight and bias sums run per range of samples into their
// own partial sums, added in range order: deterministic for a given thread count.
template <class T>
void conv2d_backward(const T* grad_out, const T* input, const T* weight, T* grad_input,
                     T* grad_weight, T* grad_bias, const ConvShape& s) {
  const detail::ConvGeometry& g = s.image;
  const std::int64_t K = g.col_rows(), P = g.col_cols(), Og = s.out_per_group();
  const std::int64_t group_in = g.channels * g.height * g.width;
  const std::int64_t weight_numel = s.out_channels * K;
  const int parts = sample_parts(s);
  // Part 0 sums straight into the result; the others into zeroed partials.
  std::vector<T> partial_weight(grad_weight ? (parts - 1) * weight_numel : 0, T(0));
  std::vector<T> partial_bias(grad_bias ? (parts - 1) * s.out_channels : 0, T(0));
  if (grad_weight) std::fill(grad_weight, grad_weight + weight_numel, T(0));
  if (grad_bias) std::fill(grad_bias, grad_bias + s.out_channels, T(0));

  const bool pointwise = g.is_pointwise(), direct = detail::direct_conv_applies<T>(g);
  // The col matrix holds dL/dcol for the input gradient, and the unfolded input for im2col's
  // weight gradient; a pointwise conv's col is the image itself.
  const bool use_col = !pointwise && (grad_input || (grad_weight && !direct));
  const bool transposed_weight_grad = grad_weight && !direct;
  for_each_part(s.batch, parts, [&](int part, std::int64_t begin, std::int64_t end) {
    T* gw = part == 0 ? grad_weight : partial_weight.data() + (part - 1) * weight_numel;
    T* gb = part == 0 ? grad_bias : partial_bias.data() + (part - 1) * s.out_channels;
    // col2im reads past the ends of col (detail::col_margin), into this buffer's margins.
    const std::int64_t margin = detail::col_margin(g);
    T* col = use_col ? detail::thread_scratch<T, detail::Scratch::col>(K * P + 2 * margin) + margin
                     : nullptr;
    // dL/dW^T of this range, group by group: (groups, K, O/groups).
    T* gw_t = transposed_weight_grad
                  ? detail::thread_scratch<T, detail::Scratch::weight_grad>(weight_numel)
                  : nullptr;
    if (gw_t) std::fill_n(gw_t, weight_numel, T(0));
    for (std::int64_t n = begin; n < end; ++n) {
      for (std::int64_t grp = 0; grp < s.groups; ++grp) {
        const T* dy_g = grad_out + n * s.output_numel() + grp * Og * P;
        const auto dy = ember::detail::row_major(dy_g, P);
        const T* image = input ? input + n * s.input_numel() + grp * group_in : nullptr;
        if (grad_input) {
          T* dimage = grad_input + n * s.input_numel() + grp * group_in;
          const auto w = ember::detail::row_major(weight + grp * Og * K, K);
          ember::detail::gemm<T>(K, P, Og, w.t(), dy, pointwise ? dimage : col, P,
                                 /*accumulate=*/false);
          if (!pointwise) detail::col2im(col, g, dimage);
        }
        if (gw && direct) {
          detail::direct_conv_weight_grad(image, dy_g, Og, g, gw + grp * Og * K);
        } else if (gw) {
          if (!pointwise) detail::im2col(image, g, col);
          const auto cols = ember::detail::row_major(pointwise ? image : col, P);
          ember::detail::gemm<T>(K, Og, P, cols, dy.t(), gw_t + grp * K * Og, Og,
                                 /*accumulate=*/true);
        }
        if (gb) {
          Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(gb + grp * Og, Og) +=
              ConstMatrixMap<T>(dy_g, Og, P).rowwise().sum();
        }
      }
    }
    for (std::int64_t grp = 0; gw_t && grp < s.groups; ++grp) {
      MatrixMap<T>(gw + grp * Og * K, Og, K) +=
          ConstMatrixMap<T>(gw_t + grp * K * Og, K, Og).transpose();
    }
  });
  for (int part = 1; part < parts; ++part) {
    for (std::int64_t i = 0; grad_weight && i < weight_numel; ++i)
      grad_weight[i] += partial_weight[(part - 1) * weight_numel + i];
    for (std::int64_t i = 0; grad_bias && i < s.out_channels; ++i)
      grad_bias[i] += partial_bias[(part - 1) * s.out_channels + i];
  }
}

}  // namespace

namespace functional {

Tensor conv2d(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& options) {
  const Tensor& bias = options.bias();
  const ConvShape s = check_conv2d(input, weight, bias, options.stride(), options.padding(),
                                   options.dilation(), options.groups());
  Tensor out = empty({s.batch, s.out_channels, s.image.out_h, s.image.out_w}, input.dtype());
  {
    const Tensor x = input.contiguous(), w = weight.contiguous();
    const Tensor b = bias.defined() ? bias.contiguous() : Tensor();
    ember::detail::dispatch_floating(input.dtype(), "conv2d", [&](auto zero) {
      using T = decltype(zero);
      conv2d_forward<T>(x.data_ptr<T>(), w.data_ptr<T>(), b.defined() ? b.data_ptr<T>() : nullptr,
                        out.data_ptr<T>(), s);
    });
  }
  if (!autograd::needs_grad({input, weight, bias})) return out;

  // Only what the wanted gradients read is kept: the input for dL/dW, the weight for dL/dx.
  const bool want_input = input.requires_grad();
  const bool want_weight = weight.requires_grad();
  const bool want_bias = bias.defined() && bias.requires_grad();
  autograd::SavedTensor saved_input(want_weight ? input : Tensor());
  autograd::SavedTensor saved_weight(want_input ? weight : Tensor());
  return autograd::record(
      out, "ConvolutionBackward0", {input, weight, bias},
      [=](const Tensor& grad_output) {
        const Tensor dy = grad_output.contiguous();
        const Tensor x = want_weight ? saved_input.get().contiguous() : Tensor();
        const Tensor w = saved_weight.get().defined() ? saved_weight.get().contiguous() : Tensor();
        Tensor dx = want_input ? empty({s.batch, s.in_channels, s.image.height, s.image.width},
                                       dy.dtype())
                               : Tensor();
        Tensor dw = want_weight ? empty({s.out_channels, s.image.channels, s.image.kernel_h,
                                         s.image.kernel_w}, dy.dtype())
                                : Tensor();
        Tensor db = want_bias ? empty({s.out_channels}, dy.dtype()) : Tensor();
        ember::detail::dispatch_floating(dy.dtype(), "conv2d backward", [&](auto zero) {
          using T = decltype(zero);
          auto ptr = [](const Tensor& t) { return t.defined() ? t.data_ptr<T>() : nullptr; };
          conv2d_backward<T>(dy.data_ptr<T>(), ptr(x), ptr(w), ptr(dx), ptr(dw), ptr(db), s);
        });
        return std::vector<Tensor>{dx, dw, db};
      });
}

}  // namespace functional

// ---- the layer --------------------------------------------------------------------------------

Conv2d::Conv2d(const Conv2dOptions& options_) : options(options_) {
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
