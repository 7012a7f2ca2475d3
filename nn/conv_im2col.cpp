// im2col / col2im kernels (see nn/conv_im2col.h), for float and double.
#include "nn/conv_im2col.h"

#include <algorithm>

namespace ember::nn::detail {
namespace {

// The outputs o in [0, out) whose input position o * stride + offset lies in [0, size): one
// contiguous range [lo, hi), so that the inner loops need no bounds test.
struct ValidRange {
  std::int64_t lo, hi;
};

ValidRange valid_range(std::int64_t offset, std::int64_t stride, std::int64_t size,
                       std::int64_t out) {
  // o * stride + offset >= 0  <=>  o >= ceil(-offset / stride)
  std::int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  // o * stride + offset < size  <=>  o < ceil((size - offset) / stride)
  std::int64_t hi = size - offset <= 0 ? 0 : (size - offset + stride - 1) / stride;
  lo = std::min(lo, out);
  hi = std::max(lo, std::min(hi, out));
  return {lo, hi};
}

}  // namespace

template <class T>
void im2col(const T* image, const ConvGeometry& g, T* col) {
  const std::int64_t out_w = g.out_w;
  T* row = col;
  for (std::int64_t c = 0; c < g.channels; ++c) {
    const T* plane = image + c * g.height * g.width;
    for (std::int64_t i = 0; i < g.kernel_h; ++i) {
      const std::int64_t h_offset = i * g.dilation_h - g.pad_h;
      const ValidRange rows = valid_range(h_offset, g.stride_h, g.height, g.out_h);
      for (std::int64_t j = 0; j < g.kernel_w; ++j, row += g.out_h * out_w) {
        const std::int64_t w_offset = j * g.dilation_w - g.pad_w;
        const ValidRange cols = valid_range(w_offset, g.stride_w, g.width, out_w);
        // Rows of the output whose window row falls in the padding are all zeros.
        std::fill(row, row + rows.lo * out_w, T(0));
        for (std::int64_t oh = rows.lo; oh < rows.hi; ++oh) {
          const T* src = plane + (oh * g.stride_h + h_offset) * g.width;
          T* dst = row + oh * out_w;
          std::fill(dst, dst + cols.lo, T(0));
          if (g.stride_w == 1) {
            // Stride 1: the window row is a contiguous run of the input row (a memcpy).
            std::copy(src + cols.lo + w_offset, src + cols.hi + w_offset, dst + cols.lo);
          } else {
            for (std::int64_t ow = cols.lo; ow < cols.hi; ++ow)
              dst[ow] = src[ow * g.stride_w + w_offset];
          }
          std::fill(dst + cols.hi, dst + out_w, T(0));
        }
        std::fill(row + rows.hi * out_w, row + g.out_h * out_w, T(0));
      }
    }
  }
}

template <class T>
void col2im(const T* col, const ConvGeometry& g, T* image) {
  const std::int64_t out_w = g.out_w;
  const T* row = col;
  for (std::int64_t c = 0; c < g.channels; ++c) {
    T* plane = image + c * g.height * g.width;
    for (std::int64_t i = 0; i < g.kernel_h; ++i) {
      const std::int64_t h_offset = i * g.dilation_h - g.pad_h;
      const ValidRange rows = valid_range(h_offset, g.stride_h, g.height, g.out_h);
      for (std::int64_t j = 0; j < g.kernel_w; ++j, row += g.out_h * out_w) {
        const std::int64_t w_offset = j * g.dilation_w - g.pad_w;
        const ValidRange cols = valid_range(w_offset, g.stride_w, g.width, out_w);
        for (std::int64_t oh = rows.lo; oh < rows.hi; ++oh) {
          T* dst = plane + (oh * g.stride_h + h_offset) * g.width;
          const T* src = row + oh * out_w;
          for (std::int64_t ow = cols.lo; ow < cols.hi; ++ow)
            dst[ow * g.stride_w + w_offset] += src[ow];
        }
      }
    }
  }
}

template void im2col<float>(const float*, const ConvGeometry&, float*);
template void im2col<double>(const double*, const ConvGeometry&, double*);
template void col2im<float>(const float*, const ConvGeometry&, float*);
template void col2im<double>(const double*, const ConvGeometry&, double*);

}  // namespace ember::nn::detail
