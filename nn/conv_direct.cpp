// Direct convolution kernels for few input channels (see nn/conv_direct.h), float and double.
//
// They are written with Eigen's packet primitives (ploadu, pmadd, ...): one packet is one SIMD
// register (8 floats with AVX), and pmadd is a fused multiply-add where the CPU has one. Eigen
// picks the instruction set from the compiler flags, as it does for its own GEMM.
#include "nn/conv_direct.h"

#include <Eigen/Core>
#include <algorithm>
#include <type_traits>

namespace ember::nn::detail {
namespace {

using Eigen::internal::padd;
using Eigen::internal::pand;
using Eigen::internal::pcmp_le;
using Eigen::internal::pload1;
using Eigen::internal::ploadu;
using Eigen::internal::plset;
using Eigen::internal::pmadd;
using Eigen::internal::pmul;
using Eigen::internal::predux;
using Eigen::internal::pset1;
using Eigen::internal::pstoreu;

template <class T>
using Packet = typename Eigen::internal::packet_traits<T>::type;
template <class T>
constexpr std::int64_t kLanes = Eigen::internal::unpacket_traits<Packet<T>>::size;

// Output channels per register block. The forward keeps 2 packets per channel in registers:
// 12 accumulators, the two input packets and a weight fill AVX2's 16 registers.
constexpr int kBlock = 6;

// Calls fn(block, o) for each block of output channels [o, o + block), block <= kBlock, with
// the block size as a compile-time constant so that the accumulators can live in registers.
template <class Fn>
void for_each_channel_block(std::int64_t channels, Fn&& fn) {
  for (std::int64_t o = 0; o < channels; o += kBlock) {
    switch (std::min<std::int64_t>(kBlock, channels - o)) {
      case 1: fn(std::integral_constant<int, 1>{}, o); break;
      case 2: fn(std::integral_constant<int, 2>{}, o); break;
      case 3: fn(std::integral_constant<int, 3>{}, o); break;
      case 4: fn(std::integral_constant<int, 4>{}, o); break;
      case 5: fn(std::integral_constant<int, 5>{}, o); break;
      default: fn(std::integral_constant<int, kBlock>{}, o); break;
    }
  }
}

// ---- forward ----------------------------------------------------------------------------------
// padded (C, Hp, Wp), weight (B, K) with K = C kH kW, bias (B) or null -> out (B, Ho, Wo), for
// one block of B output channels. Each step of the inner walk loads 2 packets of neighbouring
// inputs under one kernel tap and multiplies them by that tap's weight for all B channels.
template <class T, int B>
void forward_block(const T* padded, const PaddedImage& p, const ConvGeometry& g, const T* weight,
                   const T* bias, T* out) {
  using P = Packet<T>;
  constexpr std::int64_t V = kLanes<T>;
  const std::int64_t K = g.col_rows(), plane = g.col_cols();
  for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
    for (std::int64_t start = 0; start < g.out_w; start += 2 * V) {
      // The last step ends at the row's end and may overlap the one before: those outputs are
      // computed twice, to the same value.
      const std::int64_t ow = std::min(start, g.out_w - 2 * V);
      P acc[B][2];
      for (int o = 0; o < B; ++o) acc[o][0] = acc[o][1] = pset1<P>(bias ? bias[o] : T(0));
      const T* corner = padded + oh * g.stride_h * p.width + ow;
      for_each_col_row(g, p, [&](std::int64_t r, std::int64_t window) {
        const P x0 = ploadu<P>(corner + window), x1 = ploadu<P>(corner + window + V);
        for (int o = 0; o < B; ++o) {
          const P w = pload1<P>(weight + o * K + r);
          acc[o][0] = pmadd(w, x0, acc[o][0]);
          acc[o][1] = pmadd(w, x1, acc[o][1]);
        }
      });
      for (int o = 0; o < B; ++o) {
        T* y = out + o * plane + oh * g.out_w + ow;
        pstoreu(y, acc[o][0]);
        pstoreu(y + V, acc[o][1]);
      }
    }
  }
}

// ---- weight gradient --------------------------------------------------------------------------
// padded (C, Hp, Wp), grad_out (B, Ho, Wo) -> grad_weight (B, K) += for each tap r = (c, i, j),
// the dot product of each channel's grad_out with the inputs under that tap. The dot products
// run a packet at a time along each output row. A row that is not a whole number of packets
// ends with one packet that overlaps the one before it; its lanes already counted are masked
// off with a bitwise and (not multiplied by 0, which would turn an infinite input into NaN).
template <class T, int B>
void weight_grad_block(const T* padded, const PaddedImage& p, const ConvGeometry& g,
                       const T* grad_out, T* grad_weight) {
  using P = Packet<T>;
  constexpr std::int64_t V = kLanes<T>;
  const std::int64_t K = g.col_rows(), plane = g.col_cols();
  const std::int64_t whole = g.out_w / V * V, tail = g.out_w - whole;
  // Lanes l >= V - tail of the packet at out_w - V are new: the mask keeps those.
  const P tail_mask = pcmp_le(pset1<P>(static_cast<T>(V - tail)), plset<P>(T(0)));
  for_each_col_row(g, p, [&](std::int64_t r, std::int64_t window) {
    P acc[B];
    for (int o = 0; o < B; ++o) acc[o] = pset1<P>(T(0));
    for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
      const T* x_row = padded + window + oh * g.stride_h * p.width;
      const T* dy_row = grad_out + oh * g.out_w;
      for (std::int64_t ow = 0; ow < whole; ow += V) {
        const P x = ploadu<P>(x_row + ow);
        for (int o = 0; o < B; ++o) acc[o] = pmadd(ploadu<P>(dy_row + o * plane + ow), x, acc[o]);
      }
      if (tail) {
        const std::int64_t ow = g.out_w - V;
        const P x = ploadu<P>(x_row + ow);
        for (int o = 0; o < B; ++o) {
          acc[o] = padd(acc[o], pand(tail_mask, pmul(ploadu<P>(dy_row + o * plane + ow), x)));
        }
      }
    }
    for (int o = 0; o < B; ++o) grad_weight[o * K + r] += predux(acc[o]);
  });
}

// image (C, H, W) -> its zero-padded copy in this thread's scratch buffer.
template <class T>
const T* padded_image(const T* image, const ConvGeometry& g, const PaddedImage& p) {
  T* padded = thread_scratch<T, Scratch::padded_image>(p.numel(g.channels));
  pad_image(image, g, p, padded);
  return padded;
}

}  // namespace

template <class T>
bool direct_conv_applies(const ConvGeometry& g) {
  return g.stride_w == 1 && g.channels <= kDirectMaxChannels && g.out_w >= 2 * kLanes<T>;
}

template <class T>
void direct_conv_forward(const T* image, const T* weight, const T* bias, std::int64_t out_channels,
                         const ConvGeometry& g, T* out) {
  const PaddedImage p = padded_size(g);
  const T* padded = padded_image(image, g, p);
  const std::int64_t K = g.col_rows(), plane = g.col_cols();
  for_each_channel_block(out_channels, [&](auto block, std::int64_t o) {
    forward_block<T, block()>(padded, p, g, weight + o * K, bias ? bias + o : nullptr,
                              out + o * plane);
  });
}

template <class T>
void direct_conv_weight_grad(const T* image, const T* grad_out, std::int64_t out_channels,
                             const ConvGeometry& g, T* grad_weight) {
  const PaddedImage p = padded_size(g);
  const T* padded = padded_image(image, g, p);
  const std::int64_t K = g.col_rows(), plane = g.col_cols();
  for_each_channel_block(out_channels, [&](auto block, std::int64_t o) {
    weight_grad_block<T, block()>(padded, p, g, grad_out + o * plane, grad_weight + o * K);
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
