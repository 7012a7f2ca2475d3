// Internal: the kernels layer_norm and group_norm share. Both normalise each row of x seen as
// (R, L) by the row's mean and biased variance, then scale and shift per "channel".
#pragma once

#include <cstdint>
#include <vector>

#include "ember/tensor/tensor.h"

namespace ember::nn::detail {

// x seen as (rows, len). Element j of row r takes weight and bias number
// (r % groups) * (len / span) + j / span: layer_norm has groups 1 and span 1 (one weight per
// column), group_norm has groups G and span S, the spatial size (one weight per channel).
struct RowNormShape {
  std::int64_t rows, len, groups, span;
  Shape param_shape;  // the weight's and bias's shape, params() elements
  std::int64_t params() const { return groups * (len / span); }
};

// The per-row statistics the backward reuses.
struct RowStats {
  std::vector<double> mean, rstd;  // rstd = 1 / sqrt(var + eps)
};

// y = (x - mean_r) rstd_r w_p + b_p; weight and bias (params()) or undefined (1 and 0).
// Returns y, of x's shape, and fills stats.
Tensor row_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias,
                        const RowNormShape& s, double eps, RowStats& stats);

// The gradients of row_norm_forward for grad (x's shape): grads[0] input, [1] weight, [2] bias,
// each undefined unless its want_ flag is set.
std::vector<Tensor> row_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& weight,
                                      const RowNormShape& s, const RowStats& stats,
                                      bool want_input, bool want_weight, bool want_bias);

}  // namespace ember::nn::detail
