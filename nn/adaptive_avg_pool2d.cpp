// Adaptive average pooling: forward and backward kernels and the AdaptiveAvgPool2d layer.
#include "ember/nn/adaptive_avg_pool2d.h"

#include "ember/nn/functional.h"
#include "ember/nn/pool_utils.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/strided.h"

namespace ember::nn {
namespace {

// PyTorch's start_index / end_index: output o of out covers [floor(o in / out),
// ceil((o + 1) in / out)) of in.
std::int64_t window_begin(std::int64_t o, std::int64_t out, std::int64_t in) {
  return o * in / out;
}
std::int64_t window_end(std::int64_t o, std::int64_t out, std::int64_t in) {
  return ((o + 1) * in + out - 1) / out;
}

// input (planes, H, W) -> out (planes, Ho, Wo), each output the mean of its window.
template <class T>
void adaptive_avg_pool2d_forward(const T* input, T* out, const detail::PoolGeometry& g) {
  detail::for_each_plane(g.planes, g.in_plane() + g.out_plane(), [&](std::int64_t p) {
    const T* plane = input + p * g.in_plane();
    T* y = out + p * g.out_plane();
    for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
      const std::int64_t h0 = window_begin(oh, g.out_h, g.height);
      const std::int64_t h1 = window_end(oh, g.out_h, g.height);
      for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
        const std::int64_t w0 = window_begin(ow, g.out_w, g.width);
        const std::int64_t w1 = window_end(ow, g.out_w, g.width);
        T sum = 0;
        for (std::int64_t ih = h0; ih < h1; ++ih)
          for (std::int64_t iw = w0; iw < w1; ++iw) sum += plane[ih * g.width + iw];
        y[oh * g.out_w + ow] = sum / static_cast<T>((h1 - h0) * (w1 - w0));
      }
    }
  });
}

// d out / d input = 1 / window size for each pixel of the window:
//   grad_input[window] += grad_out / window size.
// grad_out (planes, Ho, Wo) -> grad_input (planes, H, W), zeroed here.
template <class T>
void adaptive_avg_pool2d_backward(const T* grad_out, T* grad_input, const detail::PoolGeometry& g) {
  detail::for_each_plane(g.planes, g.in_plane() + g.out_plane(), [&](std::int64_t p) {
    T* dx = grad_input + p * g.in_plane();
    const T* dy = grad_out + p * g.out_plane();
    std::fill(dx, dx + g.in_plane(), T(0));
    for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
      const std::int64_t h0 = window_begin(oh, g.out_h, g.height);
      const std::int64_t h1 = window_end(oh, g.out_h, g.height);
      for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
        const std::int64_t w0 = window_begin(ow, g.out_w, g.width);
        const std::int64_t w1 = window_end(ow, g.out_w, g.width);
        const T share = dy[oh * g.out_w + ow] / static_cast<T>((h1 - h0) * (w1 - w0));
        for (std::int64_t ih = h0; ih < h1; ++ih)
          for (std::int64_t iw = w0; iw < w1; ++iw) dx[ih * g.width + iw] += share;
      }
    }
  });
}

}  // namespace

namespace functional {

Tensor adaptive_avg_pool2d(const Tensor& input, Pair output_size) {
  // Unbatched (C, H, W) input pools as a batch of one, as in PyTorch.
  check(input.dim() == 3 || input.dim() == 4, "adaptive_avg_pool2d(): Expected 3D or 4D tensor, "
        "but got ", ember::detail::int_list_str(input.shape()));
  if (input.dim() == 3) return adaptive_avg_pool2d(input.unsqueeze(0), output_size).squeeze(0);
  check(input.dim() == 4,
        "adaptive_avg_pool2d: expected input with 4 dimensions (N, C, H, W), found ",
        input.shape());
  check(input.dtype() == kFloat32 || input.dtype() == kFloat64,
        "adaptive_avg_pool2d: expected a float32 or float64 input, found ",
        dtype_name(input.dtype()));
  check(output_size.h > 0 && output_size.w > 0,
        "adaptive_avg_pool2d: expected a positive output_size, found ", output_size);
  check(input.size(2) > 0 && input.size(3) > 0,
        "adaptive_avg_pool2d: expected input with non-zero H and W, found ",
        input.shape());
  // Only the plane count and the two sizes matter; the window is per output.
  const detail::PoolGeometry g{input.size(0) * input.size(1), input.size(2), input.size(3),
                               0, 0, 0, 0, 0, 0, 1, 1, output_size.h, output_size.w};
  Tensor out = empty({input.size(0), input.size(1), g.out_h, g.out_w}, input.dtype());
  {
    const Tensor x = input.contiguous();
    ember::detail::dispatch_floating(input.dtype(), "adaptive_avg_pool2d", [&](auto zero) {
      using T = decltype(zero);
      adaptive_avg_pool2d_forward<T>(x.data_ptr<T>(), out.data_ptr<T>(), g);
    });
  }
  const Shape in_shape = input.shape();
  return autograd::record(out, "AdaptiveAvgPool2DBackward0", {input},
                          [in_shape, g](const Tensor& grad_output) {
    const Tensor dy = grad_output.contiguous();
    Tensor dx = empty(in_shape, dy.dtype());
    ember::detail::dispatch_floating(dy.dtype(), "adaptive_avg_pool2d backward", [&](auto zero) {
      using T = decltype(zero);
      adaptive_avg_pool2d_backward<T>(dy.data_ptr<T>(), dx.data_ptr<T>(), g);
    });
    return std::vector<Tensor>{dx};
  });
}

}  // namespace functional

Tensor AdaptiveAvgPool2d::forward(const Tensor& input) {
  return functional::adaptive_avg_pool2d(input, options.output_size());
}

}  // namespace ember::nn
