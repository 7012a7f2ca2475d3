// im2col / col2im kernels (see nn/conv_im2col.h), for float and double.
#include "ember/nn/conv_im2col.h"

#include <Eigen/Core>
#include <algorithm>

#include "ember/tensor/packet.h"
#include "ember/tensor/static_count.h"

namespace ember::nn::detail {
namespace {

// This thread's buffers: the zero-padded image, and col2im's lane masks and tap rows.
struct PaddedImageBuffer;
struct Col2imMasks;
struct Col2imTaps;


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

// dst[0, n) = src[0, n) for 8 (Blocks - 1) < n <= 8 Blocks: the same blocks with no loop or test.
// im2col takes it for runs of 8 to 32 values, which a loop with a test per block would slow.
constexpr int kUnrolledBlocks = 4;
template <int Blocks, class T>
inline void copy_blocks(const T* src, std::int64_t n, T* dst) {
  for (int b = 0; b + 1 < Blocks; ++b)
    Eigen::Map<Block<T>>(dst + 8 * b) = Eigen::Map<const Block<T>>(src + 8 * b);
  Eigen::Map<Block<T>>(dst + n - 8) = Eigen::Map<const Block<T>>(src + n - 8);
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
    T* padded = thread_scratch<T, PaddedImageBuffer>(p.numel(g.channels));
    pad_image(image, g, p, padded);
    source = padded;
  }
  // The sizes in locals: the compiler can't keep g's fields in registers across the stores.
  const std::int64_t out_h = g.out_h, out_w = g.out_w, row_step = g.stride_h * p.width;
  auto copy_rows = [&](auto copy) {
    for_each_col_row(g, p, [&](std::int64_t r, std::int64_t window) {
      const T* src = source + window;
      T* dst = col + r * g.col_cols();
      for (std::int64_t oh = 0; oh < out_h; ++oh, src += row_step, dst += out_w) copy(src, dst);
    });
  };
  if (out_w >= 8 && out_w <= 8 * kUnrolledBlocks) {
    ember::detail::with_static_count<kUnrolledBlocks>((out_w + 7) / 8, [&](auto blocks) {
      copy_rows([&](const T* src, T* dst) { copy_blocks<blocks()>(src, out_w, dst); });
    });
  } else {
    copy_rows([&](const T* src, T* dst) { copy_run(src, out_w, dst); });
  }
}

// ---- col2im for stride_w == 1: a gather ------------------------------------------------------
// Why it is fast: col2im as a scatter (for each tap, add its col row onto a run of the image)
// reads and writes every pixel once per tap, 25 times in LeNet, in runs as short as a row of
// the output (10 values in LeNet), each with its own loop and tail, after a zero fill. The
// gather turns the loops around: each run of P input pixels (one packet) sums in registers
// what every tap sends it, and is stored once. The tap loop is unrolled for small kernels.
//
// Tap (c, i, j) sends pixel (y, x) the entry of output (oh, x - off_j) of its col row, where
// oh sH = y + pH - i dH and off_j = j dW - pW. For P neighbouring pixels that is one unaligned
// load of the col row, shifted by off_j and masked to the pixels the tap reaches,
// off_j <= x < off_j + Wo. The masked-off lanes read neighbouring col entries, or the margins
// of col_margin(g) at its two ends, and the mask turns them into zeros.

// Kernel widths up to this get an instance of the gather with the tap loop unrolled.
constexpr std::int64_t kUnrolledKernelWidth = 7;

template <class T>
void col2im_gather(const T* col, const ConvGeometry& g, T* image) {
  namespace ei = Eigen::internal;
  using Packet = ember::detail::Packet<T>;
  constexpr std::int64_t P = ember::detail::kLanes<T>;
  const std::int64_t width = g.width, kw = g.kernel_w, out_w = g.out_w, col_cols = g.col_cols();
  // Runs of P pixels along a row; the last one ends at the row's end, overlapping the one
  // before it (its pixels are stored twice, with the same sums).
  const std::int64_t runs = (width + P - 1) / P;
  auto run_start = [&](std::int64_t run) { return std::min(run * P, width - P); };
  // masks[run kw + j]: the lanes of `run` that taps in column j reach (all bits set) or not.
  T* masks = thread_scratch<T, Col2imMasks>(runs * kw * P);
  for (std::int64_t run = 0; run < runs; ++run) {
    const Packet x = ei::plset<Packet>(static_cast<T>(run_start(run)));
    for (std::int64_t j = 0; j < kw; ++j) {
      const T off = static_cast<T>(j * g.dilation_w - g.pad_w);
      ei::pstore(masks + (run * kw + j) * P,
                 ei::pand(ei::pcmp_le(ei::pset1<Packet>(off), x),
                          ei::pcmp_lt(x, ei::pset1<Packet>(off + static_cast<T>(out_w)))));
    }
  }
  // The col rows that reach image row y, as offsets from the start of its channel's rows:
  // (i kW) Ho Wo + oh Wo for each kernel row i with oh sH = y + pH - i dH, 0 <= oh < Ho.
  std::int64_t* taps = thread_scratch<std::int64_t, Col2imTaps>(g.kernel_h);
  const std::int64_t channel_rows = g.kernel_h * kw * col_cols;
  // From col row (c, i, j) to (c, i, j + 1), one column further left.
  const std::int64_t j_step = col_cols - g.dilation_w;
  for (std::int64_t y = 0; y < g.height; ++y) {
    std::int64_t tap_rows = 0;
    for (std::int64_t i = 0; i < g.kernel_h; ++i) {
      const std::int64_t t = y + g.pad_h - i * g.dilation_h;  // oh sH
      if (t >= 0 && t % g.stride_h == 0 && t / g.stride_h < g.out_h)
        taps[tap_rows++] = i * kw * col_cols + t / g.stride_h * out_w;
    }
    // One image row of one channel; kernel_w is a compile-time constant (small kernels, whose
    // tap loop the compiler then unrolls) or not.
    auto gather_row = [&](std::int64_t c, auto kernel_w) {
      T* row = image + (c * g.height + y) * width;
      for (std::int64_t run = 0; run < runs; ++run) {
        const std::int64_t x0 = run_start(run);
        const T* run_masks = masks + run * kw * P;
        // Two sums, even and odd taps, halve the chain of dependent adds.
        Packet sum[2] = {ei::pset1<Packet>(T(0)), ei::pset1<Packet>(T(0))};
        for (std::int64_t k = 0; k < tap_rows; ++k) {
          const T* src = col + c * channel_rows + taps[k] + x0 + g.pad_w;
          for (std::int64_t j = 0; j < kernel_w; ++j, src += j_step) {
            sum[j % 2] = ei::padd(sum[j % 2], ei::pand(ei::pload<Packet>(run_masks + j * P),
                                                       ei::ploadu<Packet>(src)));
          }
        }
        ei::pstoreu(row + x0, ei::padd(sum[0], sum[1]));
      }
    };
    for (std::int64_t c = 0; c < g.channels; ++c) {
      if (kw <= kUnrolledKernelWidth) {
        ember::detail::with_static_count<kUnrolledKernelWidth>(
            kw, [&](auto kernel_w) { gather_row(c, kernel_w); });
      } else {
        gather_row(c, kw);
      }
    }
  }
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
  if (g.stride_w == 1 && g.width >= ember::detail::kLanes<T>) return col2im_gather(col, g, image);
  std::fill(image, image + g.channels * g.height * g.width, T(0));
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
