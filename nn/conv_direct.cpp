// Direct convolution kernels for few input channels (see nn/conv_direct.h), float and double.
//
// They are written with Eigen's packet primitives (ploadu, pmadd, ...): one packet is one SIMD
// register (8 floats with AVX), and pmadd is a fused multiply-add where the CPU has one. Eigen
// picks the instruction set from the compiler flags, as it does for its own GEMM.
#include "ember/nn/conv_direct.h"

#include <Eigen/Core>
#include <algorithm>
#include <vector>

#include "ember/tensor/packet.h"
#include "ember/tensor/static_count.h"

namespace ember::nn::detail {
namespace {

// This thread's buffers: the zero-padded image, and the output-shaped rows of one image.
struct DirectPaddedImage;
struct DirectRows;


using Eigen::internal::pload1;
using Eigen::internal::ploadu;
using Eigen::internal::pmadd;
using Eigen::internal::predux;
using Eigen::internal::pset1;
using Eigen::internal::pstoreu;

using ember::detail::kLanes;
using ember::detail::Packet;

// Output channels per register block. The forward keeps 2 packets per channel in registers:
// 12 accumulators, the two input packets and a weight fill AVX2's 16 registers.
constexpr int kBlock = 6;

// Calls fn(block, o) for each block of output channels [o, o + block), block <= kBlock, with
// the block size as a compile-time constant so that the accumulators can live in registers.
template <class Fn>
void for_each_channel_block(std::int64_t channels, Fn&& fn) {
  for (std::int64_t o = 0; o < channels; o += kBlock) {
    ember::detail::with_static_count<kBlock>(channels - o, [&](auto block) { fn(block, o); });
  }
}

// ---- the flat layout ---------------------------------------------------------------------------
// Why it is fast: with stride 1, output (oh, ow) reads tap r = (c, i, j) at
//   window(r) + oh Wp + ow
// of the padded image (C, Hp, Wp). Lay the outputs out with rows Wp wide as well (columns Wo to
// Wp - 1 unused) and every tap becomes one shift, window(r), of the whole image: the kernels
// run over an image's Ho Wp outputs as one long run of packets, with no row ends, tails or
// bounds tests. The unused columns cost (Wp - Wo) / Wp of the work: 4 / 32 in LeNet.
struct FlatLayout {
  PaddedImage p;
  std::int64_t run;                   // outputs per channel: Ho Wp, rounded up to 2 packets
  std::int64_t padded_numel;          // the padded image and the zeros that a run reads past it
  std::vector<std::int64_t> windows;  // window(r) for each tap r
};

template <class T>
FlatLayout flat_layout(const ConvGeometry& g) {
  FlatLayout f{padded_size(g), 0, 0, {}};
  const std::int64_t step = 2 * kLanes<T>;
  f.run = (g.out_h * f.p.width + step - 1) / step * step;
  // The last tap reads up to window(K - 1) + run - 1 = (C - 1) Hp Wp + (kH - 1) dH Wp +
  // (kW - 1) dW + run - 1, past the image by at most run - Ho Wp + (kW - 1) dW values.
  f.padded_numel = f.p.numel(g.channels) + f.run - g.out_h * f.p.width + g.kernel_w * g.dilation_w;
  f.windows.reserve(static_cast<std::size_t>(g.col_rows()));
  for_each_col_row(g, f.p, [&](std::int64_t, std::int64_t window) { f.windows.push_back(window); });
  return f;
}

// image (C, H, W) -> its zero-padded copy, zeros after it, in this thread's scratch buffer.
template <class T>
const T* flat_image(const T* image, const ConvGeometry& g, const FlatLayout& f) {
  T* padded = thread_scratch<T, DirectPaddedImage>(f.padded_numel);
  pad_image(image, g, f.p, padded);
  std::fill(padded + f.p.numel(g.channels), padded + f.padded_numel, T(0));
  return padded;
}

template <class T>
using RowMajorMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using StridedMap = Eigen::Map<RowMajorMatrix<T>, 0, Eigen::OuterStride<>>;

// The (Ho, Wo) outputs of one channel inside its run of Ho rows Wp wide.
template <class T>
StridedMap<T> flat_plane(T* run, const ConvGeometry& g, const FlatLayout& f) {
  return {run, g.out_h, g.out_w, Eigen::OuterStride<>(f.p.width)};
}

// One channel's (Ho, Wo) outputs in the usual layout.
template <class T>
Eigen::Map<RowMajorMatrix<T>> plane(T* data, const ConvGeometry& g) {
  return {data, g.out_h, g.out_w};
}
template <class T>
Eigen::Map<const RowMajorMatrix<T>> plane(const T* data, const ConvGeometry& g) {
  return {data, g.out_h, g.out_w};
}

// ---- forward ----------------------------------------------------------------------------------
// padded image, weight (B, K) with K = C kH kW, bias (B) or null -> out (B, run) in the flat
// layout, for one block of B output channels. Each step loads 2 packets of inputs under one
// tap and multiplies them by that tap's weight for all B channels: 12 multiply-adds into
// registers per 2 loads and 6 broadcasts.
template <class T, int B>
void forward_block(const T* padded, const FlatLayout& f, const T* weight, const T* bias, T* out) {
  using P = Packet<T>;
  constexpr std::int64_t V = kLanes<T>;
  const std::int64_t K = static_cast<std::int64_t>(f.windows.size());
  const std::int64_t* windows = f.windows.data();
  for (std::int64_t t = 0; t < f.run; t += 2 * V) {
    P acc[B][2];
    for (int o = 0; o < B; ++o) acc[o][0] = acc[o][1] = pset1<P>(bias ? bias[o] : T(0));
    for (std::int64_t r = 0; r < K; ++r) {
      const T* x = padded + windows[r] + t;
      const P x0 = ploadu<P>(x), x1 = ploadu<P>(x + V);
      for (int o = 0; o < B; ++o) {
        const P w = pload1<P>(weight + o * K + r);
        acc[o][0] = pmadd(w, x0, acc[o][0]);
        acc[o][1] = pmadd(w, x1, acc[o][1]);
      }
    }
    for (int o = 0; o < B; ++o) {
      pstoreu(out + o * f.run + t, acc[o][0]);
      pstoreu(out + o * f.run + t + V, acc[o][1]);
    }
  }
}

// ---- weight gradient --------------------------------------------------------------------------
// padded image, grad_out (B, run) in the flat layout with zeros in the unused columns ->
// grad_weight (B, K) += for each tap r, the dot product of each channel's grad_out with the
// image shifted by window(r). One packet of inputs serves all B channels. The run goes in
// chunks of kChunk outputs, every tap per chunk, so that the B rows of grad_out being read stay
// in the L1 cache across the taps instead of streaming from L2 once per tap.
//
// The zeros of the unused columns multiply real inputs: an infinite input can then make NaN
// appear in more entries of the weight gradient than PyTorch's (whose loss is not finite then
// either).
constexpr std::int64_t kChunk = 512;

template <class T, int B>
void weight_grad_block(const T* padded, const FlatLayout& f, const T* grad_out, T* grad_weight) {
  using P = Packet<T>;
  constexpr std::int64_t V = kLanes<T>;
  const std::int64_t K = static_cast<std::int64_t>(f.windows.size());
  for (std::int64_t begin = 0; begin < f.run; begin += kChunk) {
    const std::int64_t end = std::min(begin + kChunk, f.run);
    for (std::int64_t r = 0; r < K; ++r) {
      P acc[B];
      for (int o = 0; o < B; ++o) acc[o] = pset1<P>(T(0));
      const T* x = padded + f.windows[r];
      for (std::int64_t t = begin; t < end; t += V) {
        const P xv = ploadu<P>(x + t);
        for (int o = 0; o < B; ++o) {
          acc[o] = pmadd(ploadu<P>(grad_out + o * f.run + t), xv, acc[o]);
        }
      }
      for (int o = 0; o < B; ++o) grad_weight[o * K + r] += predux(acc[o]);
    }
  }
}

}  // namespace

template <class T>
bool direct_conv_applies(const ConvGeometry& g) {
  return g.stride_h == 1 && g.stride_w == 1 && g.channels <= kDirectMaxChannels &&
         g.out_w >= 2 * kLanes<T>;
}

template <class T>
void direct_conv_forward(const T* image, const T* weight, const T* bias, std::int64_t out_channels,
                         const ConvGeometry& g, T* out) {
  const FlatLayout f = flat_layout<T>(g);
  const T* padded = flat_image(image, g, f);
  T* flat_out = thread_scratch<T, DirectRows>(out_channels * f.run);
  const std::int64_t K = g.col_rows(), P = g.col_cols();
  for_each_channel_block(out_channels, [&](auto block, std::int64_t o) {
    forward_block<T, block()>(padded, f, weight + o * K, bias ? bias + o : nullptr,
                              flat_out + o * f.run);
  });
  // out (O, Ho, Wo) = the used columns of the flat rows.
  for (std::int64_t o = 0; o < out_channels; ++o) {
    plane(out + o * P, g) = flat_plane(flat_out + o * f.run, g, f);
  }
}

template <class T>
void direct_conv_weight_grad(const T* image, const T* grad_out, std::int64_t out_channels,
                             const ConvGeometry& g, T* grad_weight) {
  const FlatLayout f = flat_layout<T>(g);
  const T* padded = flat_image(image, g, f);
  // grad_out (O, Ho, Wo) -> the flat layout, zeros in the unused columns and after the rows.
  T* flat_grad = thread_scratch<T, DirectRows>(out_channels * f.run);
  std::fill(flat_grad, flat_grad + out_channels * f.run, T(0));
  const std::int64_t K = g.col_rows(), P = g.col_cols();
  for (std::int64_t o = 0; o < out_channels; ++o) {
    flat_plane(flat_grad + o * f.run, g, f) = plane(grad_out + o * P, g);
  }
  for_each_channel_block(out_channels, [&](auto block, std::int64_t o) {
    weight_grad_block<T, block()>(padded, f, flat_grad + o * f.run, grad_weight + o * K);
  });
}

template bool direct_conv_applies<float>(const ConvGeometry&);
template bool direct_conv_applies<double>(const ConvGeometry&);
template void direct_conv_forward<float>(const float*, const float*, const float*, std::int64_t,
                                         const ConvGeometry&, float*);
template void direct_conv_forward<double>(const double*, const double*, const double*,
                                          std::int64_t, const ConvGeometry&, double*);
template void direct_conv_weight_grad<float>(const float*, const float*, std::int64_t,
                                             const ConvGeometry&, float*);
template void direct_conv_weight_grad<double>(const double*, const double*, std::int64_t,
                                              const ConvGeometry&, double*);

}  // namespace ember::nn::detail
