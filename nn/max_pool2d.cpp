// Max pooling: the forward kernel that records each window's argmax, the backward that routes
// the gradient to it, and the MaxPool2d layer.
#include "ember/nn/max_pool2d.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ember/nn/functional.h"
#include "ember/nn/pool_utils.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/strided.h"

namespace ember::nn {
namespace {

// The 2x2 window with stride 2 of LeNet and most small CNNs, unrolled: four loads and three
// compares per output, where the general loop spends more on its loop bounds than on the
// comparisons. Same rule as the general kernel (first maximum wins, NaN propagates). The
// selects are branch-free and the offsets int32 (the width of a float): which of the four wins
// is data, and a mispredicted branch per compare costs more than the compares.
//
// Outputs [begin, end) of row oh.
template <class T>
inline void max_pool2x2_outputs(const T* plane, std::int32_t width, std::int32_t oh,
                                std::int32_t begin, std::int32_t end, T* y, std::int32_t* index) {
  for (std::int32_t k = begin; k < end; ++k) {
    const std::int32_t at = 2 * oh * width + 2 * k;
    T best = plane[at];
    std::int32_t best_at = at;
    auto consider = [&](std::int32_t where) {
      const T v = plane[where];
      const bool take = v > best || v != v;  // v != v: NaN
      best = take ? v : best;
      best_at = take ? where : best_at;
    };
    consider(at + 1);
    consider(at + width);
    consider(at + width + 1);
    y[k] = best;
    if (index) index[k] = best_at;
  }
}

// Rows go 8 outputs at a time: a loop of a constant 8 the compiler turns into one AVX vector
// of outputs. A row that is not a multiple of 8 ends with 8 that overlap the ones before (the
// same values written twice), instead of a scalar tail that cost as much as the rest of
// LeNet's rows of 14. Rows narrower than 8 take the plain loop.
template <class T>
void max_pool2x2_plane(const T* plane, T* y, std::int32_t* index, const detail::PoolGeometry& g) {
  constexpr std::int32_t kRun = 8;
  const std::int32_t width = static_cast<std::int32_t>(g.width);
  const std::int32_t out_w = static_cast<std::int32_t>(g.out_w);
  for (std::int32_t oh = 0; oh < g.out_h; ++oh) {
    T* y_row = y + oh * out_w;
    std::int32_t* index_row = index ? index + oh * out_w : nullptr;
    if (out_w < kRun) {
      max_pool2x2_outputs(plane, width, oh, 0, out_w, y_row, index_row);
      continue;
    }
    for (std::int32_t ow = 0; ow < out_w; ow += kRun) {
      const std::int32_t begin = std::min(ow, out_w - kRun);
      max_pool2x2_outputs(plane, width, oh, begin, begin + kRun, y_row, index_row);
    }
  }
}

// Whether every window is a 2x2 block at stride 2 inside the input (no padding, and no partial
// window from ceil_mode).
bool is_plain_2x2(const detail::PoolGeometry& g) {
  return g.kernel_h == 2 && g.kernel_w == 2 && g.stride_h == 2 && g.stride_w == 2 &&
         g.pad_h == 0 && g.pad_w == 0 && g.dilation_h == 1 && g.dilation_w == 1 &&
         2 * g.out_h <= g.height && 2 * g.out_w <= g.width;
}

// input (planes, H, W) -> out (planes, Ho, Wo) and argmax (planes, Ho, Wo), the offset
// ih W + iw of each window's maximum within its plane. PyTorch's CPU kernel, loop for loop:
// the window's first in-bounds position starts as the argmax, a larger value or a NaN takes
// over, so ties go to the first and NaN propagates. argmax may be null (no backward to come).
template <class T>
void max_pool2d_forward(const T* input, T* out, std::int32_t* argmax,
                        const detail::PoolGeometry& g) {
  const bool is_2x2 = is_plain_2x2(g);
  detail::for_each_plane(g.planes, g.out_plane() * g.kernel_h * g.kernel_w, [&](std::int64_t p) {
    const T* plane = input + p * g.in_plane();
    T* y = out + p * g.out_plane();
    std::int32_t* index = argmax ? argmax + p * g.out_plane() : nullptr;
    if (is_2x2) {
      max_pool2x2_plane(plane, y, index, g);
      return;
    }
    for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
      std::int64_t h_begin = oh * g.stride_h - g.pad_h;
      const std::int64_t h_end = std::min(h_begin + (g.kernel_h - 1) * g.dilation_h + 1, g.height);
      while (h_begin < 0) h_begin += g.dilation_h;
      for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
        std::int64_t w_begin = ow * g.stride_w - g.pad_w;
        const std::int64_t w_end =
            std::min(w_begin + (g.kernel_w - 1) * g.dilation_w + 1, g.width);
        while (w_begin < 0) w_begin += g.dilation_w;
        std::int64_t best_at = h_begin * g.width + w_begin;
        T best = -std::numeric_limits<T>::infinity();
        for (std::int64_t ih = h_begin; ih < h_end; ih += g.dilation_h) {
          for (std::int64_t iw = w_begin; iw < w_end; iw += g.dilation_w) {
            const T v = plane[ih * g.width + iw];
            if (v > best || std::isnan(v)) {
              best = v;
              best_at = ih * g.width + iw;
            }
          }
        }
        y[oh * g.out_w + ow] = best;
        if (index) index[oh * g.out_w + ow] = static_cast<std::int32_t>(best_at);
      }
    }
  });
}

// d out / d input is 1 at each window's argmax and 0 elsewhere, so
//   grad_input[argmax[o]] += grad_out[o]   (overlapping windows may share an argmax).
// grad_out (planes, Ho, Wo) -> grad_input (planes, H, W), zeroed here.
template <class T>
void max_pool2d_backward(const T* grad_out, const std::int32_t* argmax, T* grad_input,
                         const detail::PoolGeometry& g) {
  detail::for_each_plane(g.planes, g.in_plane() + g.out_plane(), [&](std::int64_t p) {
    T* dx = grad_input + p * g.in_plane();
    const T* dy = grad_out + p * g.out_plane();
    const std::int32_t* index = argmax + p * g.out_plane();
    std::fill(dx, dx + g.in_plane(), T(0));
    for (std::int64_t o = 0; o < g.out_plane(); ++o) dx[index[o]] += dy[o];
  });
}

}  // namespace

namespace functional {

Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& options) {
  // Unbatched (C, H, W) input pools as a batch of one, as in PyTorch.
  check(input.dim() == 3 || input.dim() == 4, "non-empty 3D or 4D (batch mode) tensor expected "
        "for input, but got ", ember::detail::int_list_str(input.shape()));
  if (input.dim() == 3) return max_pool2d(input.unsqueeze(0), options).squeeze(0);
  const detail::PoolGeometry g =
      detail::check_pool2d("max_pool2d", input, options.kernel_size(), options.stride(),
                           options.padding(), options.dilation(), options.ceil_mode());
  check(g.in_plane() <= std::numeric_limits<std::int32_t>::max(),
        "max_pool2d: expected H W < 2^31 (argmax offsets are int32), found ", g.height, " x ",
        g.width);
  const Shape out_shape{input.size(0), input.size(1), g.out_h, g.out_w};
  Tensor out = empty(out_shape, input.dtype());
  // Offsets within the plane, as int32: half the memory of PyTorch's int64 indices. Only
  // kept when a backward will need them.
  const bool want_grad = autograd::needs_grad({input});
  Tensor argmax = want_grad ? empty(out_shape, kInt32) : Tensor();
  {
    const Tensor x = input.contiguous();
    ember::detail::dispatch_floating(input.dtype(), "max_pool2d", [&](auto zero) {
      using T = decltype(zero);
      max_pool2d_forward<T>(x.data_ptr<T>(), out.data_ptr<T>(),
                            want_grad ? argmax.data_ptr<std::int32_t>() : nullptr, g);
    });
  }
  if (!want_grad) return out;
  const Shape in_shape = input.shape();
  return autograd::record(out, "MaxPool2DWithIndicesBackward0", {input},
                          [argmax, in_shape, g](const Tensor& grad_output) {
    const Tensor dy = grad_output.contiguous();
    Tensor dx = empty(in_shape, dy.dtype());
    ember::detail::dispatch_floating(dy.dtype(), "max_pool2d backward", [&](auto zero) {
      using T = decltype(zero);
      max_pool2d_backward<T>(dy.data_ptr<T>(), argmax.data_ptr<std::int32_t>(), dx.data_ptr<T>(),
                             g);
    });
    return std::vector<Tensor>{dx};
  });
}

}  // namespace functional

Tensor MaxPool2d::forward(const Tensor& input) { return functional::max_pool2d(input, options); }

std::string MaxPool2d::extra_repr() const {
  return str("kernel_size=", options.kernel_size().str(), ", stride=", options.stride().str(),
             ", padding=", options.padding().str(), ", dilation=", options.dilation().str(),
             ", ceil_mode=", options.ceil_mode() ? "True" : "False");
}

}  // namespace ember::nn
