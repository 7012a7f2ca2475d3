// conv2d's forward and backward kernels on raw buffers: im2col + GEMM, or the direct kernels of
// nn/conv_direct.h for layers with few input channels. nn/conv2d_op.cpp calls them.
#pragma once

#include "ember/nn/conv2d_shape.h"

namespace ember::nn::detail {

// input (N, C, H, W), weight (O, C/groups, kH, kW), bias (O) or null -> out (N, O, Ho, Wo).
template <class T>
void conv2d_forward(const T* input, const T* weight, const T* bias, T* out, const ConvShape& s);

// grad_out (N, O, Ho, Wo) -> grad_input (N, C, H, W), grad_weight (O, C/groups, kH, kW),
// grad_bias (O), each null when not wanted.
template <class T>
void conv2d_backward(const T* grad_out, const T* input, const T* weight, T* grad_input,
                     T* grad_weight, T* grad_bias, const ConvShape& s);

}  // namespace ember::nn::detail
