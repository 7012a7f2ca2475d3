// Average pooling: forward and backward kernels (one window rule shared by both) and the
// AvgPool2d layer.
#include "ember/nn/avg_pool2d.h"

#include <algorithm>

#include "ember/nn/functional.h"
#include "ember/nn/pool_utils.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/strided.h"

namespace ember::nn {
namespace {

struct AvgOptions {
  bool count_include_pad;
  std::optional<std::int64_t> divisor_override;
};

// One output's window [h0, h1) x [w0, w1) inside the input and the number it divides by,
// following PyTorch's CPU kernel: the window is first clipped to the padded input (its size
// there is the count_include_pad divisor), then to the input itself.
struct Window {
  std::int64_t h0, h1, w0, w1;
  std::int64_t divisor;
  bool empty() const { return h0 >= h1 || w0 >= w1; }
};

Window window_at(std::int64_t oh, std::int64_t ow, const detail::PoolGeometry& g,
                 const AvgOptions& options) {
  std::int64_t h0 = oh * g.stride_h - g.pad_h, w0 = ow * g.stride_w - g.pad_w;
  std::int64_t h1 = std::min(h0 + g.kernel_h, g.height + g.pad_h);
  std::int64_t w1 = std::min(w0 + g.kernel_w, g.width + g.pad_w);
  const std::int64_t padded_size = (h1 - h0) * (w1 - w0);
  h0 = std::max<std::int64_t>(h0, 0);
  w0 = std::max<std::int64_t>(w0, 0);
  h1 = std::min(h1, g.height);
  w1 = std::min(w1, g.width);
  std::int64_t divisor = options.divisor_override ? *options.divisor_override
                         : options.count_include_pad ? padded_size
                                                     : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, divisor};
}

// input (planes, H, W) -> out (planes, Ho, Wo): each output the window's sum / divisor.
template <class T>
void avg_pool2d_forward(const T* input, T* out, const detail::PoolGeometry& g,
                        const AvgOptions& options) {
  detail::for_each_plane(g.planes, g.out_plane() * g.kernel_h * g.kernel_w, [&](std::int64_t p) {
    const T* plane = input + p * g.in_plane();
    T* y = out + p * g.out_plane();
    for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
      for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
        const Window win = window_at(oh, ow, g, options);
        T sum = 0;
        for (std::int64_t ih = win.h0; ih < win.h1; ++ih)
          for (std::int64_t iw = win.w0; iw < win.w1; ++iw) sum += plane[ih * g.width + iw];
        y[oh * g.out_w + ow] = win.empty() ? T(0) : sum / static_cast<T>(win.divisor);
      }
    }
  });
}

// d out / d input = 1 / divisor for each input pixel in the window, so every pixel of the
// window gets grad_out / divisor (summed over the windows that overlap it).
// grad_out (planes, Ho, Wo) -> grad_input (planes, H, W), zeroed here.
template <class T>
void avg_pool2d_backward(const T* grad_out, T* grad_input, const detail::PoolGeometry& g,
                         const AvgOptions& options) {
  detail::for_each_plane(g.planes, g.out_plane() * g.kernel_h * g.kernel_w, [&](std::int64_t p) {
    T* dx = grad_input + p * g.in_plane();
    const T* dy = grad_out + p * g.out_plane();
    std::fill(dx, dx + g.in_plane(), T(0));
    for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
      for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
        const Window win = window_at(oh, ow, g, options);
        if (win.empty()) continue;
        const T share = dy[oh * g.out_w + ow] / static_cast<T>(win.divisor);
        for (std::int64_t ih = win.h0; ih < win.h1; ++ih)
          for (std::int64_t iw = win.w0; iw < win.w1; ++iw) dx[ih * g.width + iw] += share;
      }
    }
  });
}

}  // namespace

namespace functional {

Tensor avg_pool2d(const Tensor& input, const AvgPool2dFuncOptions& pool) {
  // Unbatched (C, H, W) input pools as a batch of one, as in PyTorch.
  check(input.dim() == 3 || input.dim() == 4, "non-empty 3D or 4D (batch mode) tensor expected "
        "for input, but got ", ember::detail::int_list_str(input.shape()));
  if (input.dim() == 3) return avg_pool2d(input.unsqueeze(0), pool).squeeze(0);
  const detail::PoolGeometry g = detail::check_pool2d(
      "avg_pool2d", input, pool.kernel_size(), pool.stride(), pool.padding(), 1, pool.ceil_mode());
  const std::optional<std::int64_t> divisor_override = pool.divisor_override();
  check(!divisor_override || *divisor_override != 0, "avg_pool2d: divisor must be not zero");
  const AvgOptions options{pool.count_include_pad(), divisor_override};
  Tensor out = empty({input.size(0), input.size(1), g.out_h, g.out_w}, input.dtype());
  {
    const Tensor x = input.contiguous();
    ember::detail::dispatch_floating(input.dtype(), "avg_pool2d", [&](auto zero) {
      using T = decltype(zero);
      avg_pool2d_forward<T>(x.data_ptr<T>(), out.data_ptr<T>(), g, options);
    });
  }
  const Shape in_shape = input.shape();
  return autograd::record(out, "AvgPool2DBackward0", {input},
                          [in_shape, g, options](const Tensor& grad_output) {
    const Tensor dy = grad_output.contiguous();
    Tensor dx = empty(in_shape, dy.dtype());
    ember::detail::dispatch_floating(dy.dtype(), "avg_pool2d backward", [&](auto zero) {
      using T = decltype(zero);
      avg_pool2d_backward<T>(dy.data_ptr<T>(), dx.data_ptr<T>(), g, options);
    });
    return std::vector<Tensor>{dx};
  });
}

}  // namespace functional

Tensor AvgPool2d::forward(const Tensor& input) { return functional::avg_pool2d(input, options); }

std::string AvgPool2d::extra_repr() const {
  return str("kernel_size=", options.kernel_size().str(), ", stride=", options.stride().str(),
             ", padding=", options.padding().str());
}

}  // namespace ember::nn
