// im2col and col2im: the unfolding that turns a convolution into one matrix product.
//
// Every output pixel of a convolution is a dot product of the weight with one window of the
// input. im2col copies each window into a column, so that the whole convolution becomes
// weight (O, C kH kW) x col (C kH kW, Ho Wo), a GEMM that runs near the CPU's peak
// (tensor/gemm.h).
// col2im is its adjoint: it adds each column back onto the window it came from, which is what
// the input gradient needs.
#pragma once

#include <cstdint>

#include "ember/tensor/scratch.h"

namespace ember::nn::detail {

// The geometry of one image's convolution: channels, input and output sizes, and the window.
struct ConvGeometry {
  std::int64_t channels, height, width;  // input (C, H, W)
  std::int64_t kernel_h, kernel_w;
  std::int64_t stride_h, stride_w;
  std::int64_t pad_h, pad_w;
  std::int64_t dilation_h, dilation_w;
  std::int64_t out_h, out_w;  // output (Ho, Wo)

  std::int64_t col_rows() const { return channels * kernel_h * kernel_w; }
  std::int64_t col_cols() const { return out_h * out_w; }
  // A 1x1 kernel with stride 1 and no padding reads the image itself as its col matrix.
  bool is_pointwise() const {
    return kernel_h == 1 && kernel_w == 1 && stride_h == 1 && stride_w == 1 && pad_h == 0 &&
           pad_w == 0;
  }
};

// The conv kernels' per-thread buffers (tensor/scratch.h), each named by its kernel's own tag.
using ember::detail::thread_scratch;

// image (C, H, W) -> col (C kH kW, Ho Wo): row (c, i, j) holds, for every output (oh, ow), the
// input pixel (c, oh sH - pH + i dH, ow sW - pW + j dW), or 0 where that lies in the padding.
template <class T>
void im2col(const T* image, const ConvGeometry& g, T* col);

// The adjoint of im2col: image (C, H, W) = the sum, at each pixel, of the entries of col
// (C kH kW, Ho Wo) that were copied from it (padding entries are dropped). col2im may read up
// to col_margin(g) values past either end of col (and ignores them): a col buffer passed to it
// must extend that far on both sides.
template <class T>
void col2im(const T* col, const ConvGeometry& g, T* image);
inline std::int64_t col_margin(const ConvGeometry& g) {
  return (g.kernel_w - 1) * g.dilation_w + g.pad_w + g.width;
}

// ---- the zero-padded image, shared by the stride-1 im2col and the direct kernels -----------
// Once an image sits at the centre of zeros, every window row is a plain run of a padded row:
// no bounds test and no zero fill in the inner loops.

// The size of one padded channel: (H + 2 pH, W + 2 pW).
struct PaddedImage {
  std::int64_t height, width;
  std::int64_t numel(std::int64_t channels) const { return channels * height * width; }
};

inline PaddedImage padded_size(const ConvGeometry& g) {
  return {g.height + 2 * g.pad_h, g.width + 2 * g.pad_w};
}

// image (C, H, W) -> padded (C, p.height, p.width), the image at offset (pH, pW), zeros around.
template <class T>
void pad_image(const T* image, const ConvGeometry& g, const PaddedImage& p, T* padded);

// Calls fn(r, window) for each col row r = (c, i, j): the offset in the padded image of the
// input pixel under output (0, 0); output (oh, ow) reads window + oh sH p.width + ow sW.
template <class Fn>
void for_each_col_row(const ConvGeometry& g, const PaddedImage& p, Fn&& fn) {
  std::int64_t r = 0;
  for (std::int64_t c = 0; c < g.channels; ++c)
    for (std::int64_t i = 0; i < g.kernel_h; ++i)
      for (std::int64_t j = 0; j < g.kernel_w; ++j, ++r)
        fn(r, (c * p.height + i * g.dilation_h) * p.width + j * g.dilation_w);
}

}  // namespace ember::nn::detail
