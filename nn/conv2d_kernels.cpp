// conv2d's forward and backward kernels, side by side (see conv2d_kernels.h).
#include "ember/nn/conv2d_kernels.h"

#include <Eigen/Core>
#include <algorithm>
#include <vector>

#include "ember/nn/conv2d_parallel.h"
#include "ember/nn/conv_direct.h"
#include "ember/nn/conv_im2col.h"
#include "ember/tensor/gemm.h"
#include "ember/tensor/scratch.h"

namespace ember::nn::detail {
namespace {

template <class T>
using RowMajorMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MatrixMap = Eigen::Map<RowMajorMatrix<T>>;
template <class T>
using ConstMatrixMap = Eigen::Map<const RowMajorMatrix<T>>;

// This thread's buffers: one image's col matrix (or dL/dcol), and im2col's transposed weight
// gradient, which is in use together with the col matrix.
struct ColBuffer;
struct WeightGradBuffer;

}  // namespace

// ---- forward ----------------------------------------------------------------------------------
// input (N, C, H, W), weight (O, C/groups, kH, kW), bias (O) or null -> out (N, O, Ho, Wo).
// Per sample and group: out_g (O/groups, Ho Wo) = bias + weight_g (O/groups, K) x col (K, Ho Wo),
// K = C/groups kH kW. Samples run in parallel; each writes only its own output. Layers with few
// input channels skip the col matrix and run the direct kernel (nn/conv_direct.h).
template <class T>
void conv2d_forward(const T* input, const T* weight, const T* bias, T* out, const ConvShape& s) {
  const ConvGeometry& g = s.image;
  const std::int64_t K = g.col_rows(), P = g.col_cols(), Og = s.out_per_group();
  const std::int64_t group_in = g.channels * g.height * g.width;
  const bool pointwise = g.is_pointwise(), direct = direct_conv_applies<T>(g);
  for_each_part(s.batch, sample_parts(s), [&](int, std::int64_t begin, std::int64_t end) {
    T* col = pointwise || direct ? nullptr
                                 : ember::detail::thread_scratch<T, ColBuffer>(K * P);
    for (std::int64_t n = begin; n < end; ++n) {
      for (std::int64_t grp = 0; grp < s.groups; ++grp) {
        const T* image = input + n * s.input_numel() + grp * group_in;
        const T* w_g = weight + grp * Og * K;
        const T* b_g = bias ? bias + grp * Og : nullptr;
        T* y_g = out + n * s.output_numel() + grp * Og * P;
        if (direct) {
          direct_conv_forward(image, w_g, b_g, Og, g, y_g);
          continue;
        }
        if (!pointwise) im2col(image, g, col);
        for (std::int64_t o = 0; b_g && o < Og; ++o) std::fill_n(y_g + o * P, P, b_g[o]);
        ember::detail::gemm<T>(Og, P, K, ember::detail::row_major(w_g, K),
                               ember::detail::row_major(pointwise ? image : col, P), y_g, P,
                               /*accumulate=*/b_g != nullptr);
      }
    }
  });
}

// ---- backward ---------------------------------------------------------------------------------
// With y = W col + b per sample and group:
//   dL/dcol = W^T dL/dy, and dL/dinput = col2im(dL/dcol)   (each input pixel sums the
//             gradients of every window entry it was copied to)
//   dL/dW   = sum over samples of dL/dy col^T
//   dL/db   = sum over samples and pixels of dL/dy
// im2col's weight gradient is summed transposed, dL/dW^T (K, O/groups) += col dL/dy^T, and
// transposed once per range of samples: the GEMM then reads col in place and packs only the
// smaller dL/dy, where dL/dy col^T would pack all of col^T for every sample (tensor/gemm.cpp).
// grad_out (N, O, Ho, Wo); grad_input (N, C, H, W), grad_weight (O, C/groups, kH, kW), grad_bias
// (O), each null when not wanted. The weight and bias sums run per range of samples into their
// own partial sums, added in range order: deterministic for a given thread count.
template <class T>
void conv2d_backward(const T* grad_out, const T* input, const T* weight, T* grad_input,
                     T* grad_weight, T* grad_bias, const ConvShape& s) {
  const ConvGeometry& g = s.image;
  const std::int64_t K = g.col_rows(), P = g.col_cols(), Og = s.out_per_group();
  const std::int64_t group_in = g.channels * g.height * g.width;
  const std::int64_t weight_numel = s.out_channels * K;
  const int parts = sample_parts(s);
  // Part 0 sums straight into the result; the others into zeroed partials.
  std::vector<T> partial_weight(grad_weight ? (parts - 1) * weight_numel : 0, T(0));
  std::vector<T> partial_bias(grad_bias ? (parts - 1) * s.out_channels : 0, T(0));
  if (grad_weight) std::fill(grad_weight, grad_weight + weight_numel, T(0));
  if (grad_bias) std::fill(grad_bias, grad_bias + s.out_channels, T(0));

  const bool pointwise = g.is_pointwise(), direct = direct_conv_applies<T>(g);
  // The col matrix holds dL/dcol for the input gradient, and the unfolded input for im2col's
  // weight gradient; a pointwise conv's col is the image itself.
  const bool use_col = !pointwise && (grad_input || (grad_weight && !direct));
  const bool transposed_weight_grad = grad_weight && !direct;
  for_each_part(s.batch, parts, [&](int part, std::int64_t begin, std::int64_t end) {
    T* gw = part == 0 ? grad_weight : partial_weight.data() + (part - 1) * weight_numel;
    T* gb = part == 0 ? grad_bias : partial_bias.data() + (part - 1) * s.out_channels;
    // col2im reads past the ends of col (col_margin), into this buffer's margins.
    const std::int64_t margin = col_margin(g);
    T* col = use_col ? ember::detail::thread_scratch<T, ColBuffer>(K * P + 2 * margin) + margin
                     : nullptr;
    // dL/dW^T of this range, group by group: (groups, K, O/groups).
    T* gw_t = transposed_weight_grad
                  ? ember::detail::thread_scratch<T, WeightGradBuffer>(weight_numel)
                  : nullptr;
    if (gw_t) std::fill_n(gw_t, weight_numel, T(0));
    for (std::int64_t n = begin; n < end; ++n) {
      for (std::int64_t grp = 0; grp < s.groups; ++grp) {
        const T* dy_g = grad_out + n * s.output_numel() + grp * Og * P;
        const auto dy = ember::detail::row_major(dy_g, P);
        const T* image = input ? input + n * s.input_numel() + grp * group_in : nullptr;
        if (grad_input) {
          T* dimage = grad_input + n * s.input_numel() + grp * group_in;
          const auto w = ember::detail::row_major(weight + grp * Og * K, K);
          ember::detail::gemm<T>(K, P, Og, w.t(), dy, pointwise ? dimage : col, P,
                                 /*accumulate=*/false);
          if (!pointwise) col2im(col, g, dimage);
        }
        if (gw && direct) {
          direct_conv_weight_grad(image, dy_g, Og, g, gw + grp * Og * K);
        } else if (gw) {
          if (!pointwise) im2col(image, g, col);
          const auto cols = ember::detail::row_major(pointwise ? image : col, P);
          ember::detail::gemm<T>(K, Og, P, cols, dy.t(), gw_t + grp * K * Og, Og,
                                 /*accumulate=*/true);
        }
        if (gb) {
          Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(gb + grp * Og, Og) +=
              ConstMatrixMap<T>(dy_g, Og, P).rowwise().sum();
        }
      }
    }
    for (std::int64_t grp = 0; gw_t && grp < s.groups; ++grp) {
      MatrixMap<T>(gw + grp * Og * K, Og, K) +=
          ConstMatrixMap<T>(gw_t + grp * K * Og, K, Og).transpose();
    }
  });
  for (int part = 1; part < parts; ++part) {
    for (std::int64_t i = 0; grad_weight && i < weight_numel; ++i)
      grad_weight[i] += partial_weight[(part - 1) * weight_numel + i];
    for (std::int64_t i = 0; grad_bias && i < s.out_channels; ++i)
      grad_bias[i] += partial_bias[(part - 1) * s.out_channels + i];
  }
}

template void conv2d_forward<float>(const float*, const float*, const float*, float*,
                                    const ConvShape&);
template void conv2d_forward<double>(const double*, const double*, const double*, double*,
                                     const ConvShape&);
template void conv2d_backward<float>(const float*, const float*, const float*, float*, float*,
                                     float*, const ConvShape&);
template void conv2d_backward<double>(const double*, const double*, const double*, double*,
                                      double*, double*, const ConvShape&);

}  // namespace ember::nn::detail
