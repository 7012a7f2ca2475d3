// Argument checks and output geometry shared by max_pool2d and avg_pool2d.
#include "ember/nn/pool_utils.h"

namespace ember::nn::detail {

PoolGeometry check_pool2d(const char* op, const Tensor& input, Pair kernel_size, Pair stride,
                          Pair padding, Pair dilation, bool ceil_mode) {
  check(input.dim() == 4, op, ": expected input with 4 dimensions (N, C, H, W), found ",
        input.shape());
  check(input.dtype() == kFloat32 || input.dtype() == kFloat64, op,
        ": expected a float32 or float64 input, found ", dtype_name(input.dtype()));
  check(kernel_size.h > 0 && kernel_size.w > 0, op, ": kernel_size must be greater than zero, "
        "but got ", kernel_size);
  check(stride.h > 0 && stride.w > 0, op, ": stride must be greater than zero, but got ",
        stride);
  check(dilation.h > 0 && dilation.w > 0, op, ": dilation must be greater than zero, but got ",
        dilation);
  check(padding.h >= 0 && padding.w >= 0 && padding.h <= kernel_size.h / 2 &&
            padding.w <= kernel_size.w / 2,
        op, ": pad should be at most half of kernel size, but got pad=", padding.str(),
        " and kernel_size=", kernel_size.str());
  const std::int64_t h = input.size(2), w = input.size(3);
  PoolGeometry g{input.size(0) * input.size(1), h, w, kernel_size.h, kernel_size.w,
                 stride.h, stride.w, padding.h, padding.w, dilation.h, dilation.w,
                 pool_output_size(h, kernel_size.h, stride.h, padding.h, dilation.h, ceil_mode),
                 pool_output_size(w, kernel_size.w, stride.w, padding.w, dilation.w, ceil_mode)};
  check(g.out_h >= 1 && g.out_w >= 1, op, ": given input size (", input.size(1), "x", h, "x", w,
        "), calculated output size (", input.size(1), "x", g.out_h, "x", g.out_w,
        "): output size is too small");
  return g;
}

}  // namespace ember::nn::detail
