// Direct convolution for layers with few input channels, such as a network's first layer.
//
// im2col + GEMM turns LeNet's first layer (1 -> 6 channels, 5x5) into a product of a 6 x 25
// weight with a 25 x 784 col matrix per sample: the col matrix is written and read again for only
// 6 multiply-adds per entry, and 6 rows fill only one of a GEMM's register tiles. These
// kernels read the zero-padded image in place instead: one vector of 8 (float) or 4 (double)
// neighbouring outputs times one weight per step, for several output channels at once, so that
// the work stays in registers. They cover the forward and the weight gradient (a first layer's
// input needs no gradient); the input gradient stays with col2im.
#pragma once

#include <cstdint>

#include "ember/nn/conv_im2col.h"

namespace ember::nn::detail {

// Whether the direct kernels take this geometry (one group of one image): stride 1, at most
// kDirectMaxChannels input channels, and output rows at least two vectors wide.
// Above a few channels im2col's GEMM has enough rows to run near the CPU's peak.
constexpr std::int64_t kDirectMaxChannels = 3;
template <class T>
bool direct_conv_applies(const ConvGeometry& g);

// One image and one group: image (C, H, W), weight (O, C, kH, kW), bias (O) or null
//   -> out (O, Ho, Wo) = bias + the convolution.
template <class T>
void direct_conv_forward(const T* image, const T* weight, const T* bias, std::int64_t out_channels,
                         const ConvGeometry& g, T* out);

// grad_weight (O, C, kH, kW) += the gradient of one image's output, grad_out (O, Ho, Wo):
//   dL/dW[o, c, i, j] = sum over (oh, ow) of dL/dy[o, oh, ow] image[c, oh + i dH, ow + j dW]
// (in padded coordinates).
template <class T>
void direct_conv_weight_grad(const T* image, const T* grad_out, std::int64_t out_channels,
                             const ConvGeometry& g, T* grad_weight);

}  // namespace ember::nn::detail
