// im2col / col2im kernels (see nn/conv_im2col.h), for float and double.
#include "nn/conv_im2col.h"

#include <Eigen/Core>
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

// ---- the stride-1 fast path --------------------------------------------------------------------
// Why it is fast: with a horizontal stride of 1 every window row is a contiguous run of an input
// row, and once the image is copied into a zero-padded buffer no run needs a bounds test or a
// zero fill either. The runs are short (10 to 32 values in LeNet), where a call to memcpy costs
// more than the copy itself; fixed 8-value blocks compile to inline vector moves. In LeNet's
// training step im2col (with its memcpy calls) went from a quarter of the time to a tenth, and
// the step got about 25% faster (bench/train_throughput --model lenet5).

template <class T>
using Block = Eigen::Array<T, 8, 1>;

// dst[0, n) = src[0, n): 8-value blocks, the last one overlapping the one before it.
template <class T>
inline void copy_run(const T* src, std::int64_t n, T* dst) {
  if (n < 8) {
    for (std::int64_t k = 0; k < n; ++k) dst[k] = src[k];
    return;
  }
  std::int64_t k = 0;
  for (; k + 8 <= n; k += 8) Eigen::Map<Block<T>>(dst + k) = Eigen::Map<const Block<T>>(src + k);
  if (k < n) Eigen::Map<Block<T>>(dst + n - 8) = Eigen::Map<const Block<T>>(src + n - 8);
}

// dst[0, n) += src[0, n).
template <class T>
inline void add_run(const T* src, std::int64_t n, T* dst) {
  std::int64_t k = 0;
  for (; k + 8 <= n; k += 8) Eigen::Map<Block<T>>(dst + k) += Eigen::Map<const Block<T>>(src + k);
  for (; k < n; ++k) dst[k] += src[k];
}

// Calls fn(image_offset, padded_offset) for each input row (c, y): where it starts in the image
// (C, H, W) and in the padded image.
template <class Fn>
void for_each_image_row(const ConvGeometry& g, const PaddedImage& p, Fn&& fn) {
  for (std::int64_t c = 0; c < g.channels; ++c)
    for (std::int64_t y = 0; y < g.height; ++y)
      fn((c * g.height + y) * g.width, (c * p.height + y + g.pad_h) * p.width + g.pad_w);
}

// im2col for stride_w == 1 from a padded (or unpadded, when the padding is 0) image.
template <class T>
void im2col_stride1(const T* image, const ConvGeometry& g, T* col) {
  const PaddedImage p = padded_size(g);
  const T* source = image;
  if (g.pad_h || g.pad_w) {
    T* padded = thread_scratch<T, Scratch::padded_image>(p.numel(g.channels));
    pad_image(image, g, p, padded);
    source = padded;
  }
  // The sizes in locals: the compiler can't keep g's fields in registers across the stores.
  const std::int64_t out_h = g.out_h, out_w = g.out_w, row_step = g.stride_h * p.width;
  for_each_col_row(g, p, [&](std::int64_t r, std::int64_t window) {
    const T* src = source + window;
    T* dst = col + r * g.col_cols();
    for (std::int64_t oh = 0; oh < out_h; ++oh, src += row_step, dst += out_w)
      copy_run(src, out_w, dst);
  });
}

// col2im for stride_w == 1: sums into a zeroed padded image, then adds its centre to image.
template <class T>
void col2im_stride1(const T* col, const ConvGeometry& g, T* image) {
  const PaddedImage p = padded_size(g);
  const bool pad = g.pad_h || g.pad_w;
  T* target = image;
  if (pad) {
    target = thread_scratch<T, Scratch::padded_image>(p.numel(g.channels));
    std::fill(target, target + p.numel(g.channels), T(0));
  }
  const std::int64_t out_h = g.out_h, out_w = g.out_w, row_step = g.stride_h * p.width;
  for_each_col_row(g, p, [&](std::int64_t r, std::int64_t window) {
    const T* src = col + r * g.col_cols();
    T* dst = target + window;
    for (std::int64_t oh = 0; oh < out_h; ++oh, src += out_w, dst += row_step)
      add_run(src, out_w, dst);
  });
  if (!pad) return;
  for_each_image_row(g, p, [&](std::int64_t in, std::int64_t out) {
    add_run(target + out, g.width, image + in);
  });
}

}  // namespace

template <class T>
void pad_image(const T* image, const ConvGeometry& g, const PaddedImage& p, T* padded) {
  std::fill(padded, padded + p.numel(g.channels), T(0));
  for_each_image_row(g, p, [&](std::int64_t in, std::int64_t out) {
    copy_run(image + in, g.width, padded + out);
  });
}

template <class T>
void im2col(const T* image, const ConvGeometry& g, T* col) {
  if (g.stride_w == 1) return im2col_stride1(image, g, col);
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
          for (std::int64_t ow = cols.lo; ow < cols.hi; ++ow)
            dst[ow] = src[ow * g.stride_w + w_offset];
          std::fill(dst + cols.hi, dst + out_w, T(0));
        }
        std::fill(row + rows.hi * out_w, row + g.out_h * out_w, T(0));
      }
    }
  }
}

template <class T>
void col2im(const T* col, const ConvGeometry& g, T* image) {
  if (g.stride_w == 1) return col2im_stride1(col, g, image);
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

template void pad_image<float>(const float*, const ConvGeometry&, const PaddedImage&, float*);
template void pad_image<double>(const double*, const ConvGeometry&, const PaddedImage&,
                                double*);
template void im2col<float>(const float*, const ConvGeometry&, float*);
template void im2col<double>(const double*, const ConvGeometry&, double*);
template void col2im<float>(const float*, const ConvGeometry&, float*);
template void col2im<double>(const double*, const ConvGeometry&, double*);

}  // namespace ember::nn::detail
