// The row-normalising kernels of layer_norm and group_norm, forward and backward side by side.
#include "ember/nn/norm_rows.h"

#include <cmath>

#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"

namespace ember::nn::detail {
namespace {

std::vector<double> values_or(const Tensor& t, std::int64_t n, double fallback) {
  return t.defined() ? t.contiguous().to_vector<double>()
                     : std::vector<double>(static_cast<std::size_t>(n), fallback);
}

}  // namespace

// x (R, L): mean_r = sum_j x_rj / L, var_r = sum_j (x_rj - mean_r)^2 / L (two passes, in
// double), y_rj = (x_rj - mean_r) rstd_r w_p + b_p.
Tensor row_norm_forward(const Tensor& x_in, const Tensor& weight, const Tensor& bias,
                        const RowNormShape& s, double eps, RowStats& stats) {
  const Tensor x = x_in.contiguous();
  const std::vector<double> w = values_or(weight, s.params(), 1.0);
  const std::vector<double> b = values_or(bias, s.params(), 0.0);
  stats.mean.assign(static_cast<std::size_t>(s.rows), 0.0);
  stats.rstd.assign(stats.mean.size(), 0.0);
  Tensor y = empty(x.shape(), x.dtype());
  ember::detail::dispatch_floating(x.dtype(), "norm", [&](auto zero) {
    using T = decltype(zero);
    const T* px = x.data_ptr<T>();
    T* py = y.data_ptr<T>();
    const std::int64_t per_group = s.len / s.span;
#pragma omp parallel for if (x.numel() > ember::detail::kParallelGrain)
    for (std::int64_t r = 0; r < s.rows; ++r) {
      const T* row = px + r * s.len;
      double sum = 0.0;
      for (std::int64_t j = 0; j < s.len; ++j) sum += row[j];
      const double mean = sum / static_cast<double>(s.len);
      double squares = 0.0;
      for (std::int64_t j = 0; j < s.len; ++j) squares += (row[j] - mean) * (row[j] - mean);
      const double rstd = 1.0 / std::sqrt(squares / static_cast<double>(s.len) + eps);
      stats.mean[r] = mean;
      stats.rstd[r] = rstd;
      const std::int64_t p0 = (r % s.groups) * per_group;
      for (std::int64_t j = 0; j < s.len; ++j) {
        const std::int64_t p = p0 + j / s.span;
        py[r * s.len + j] = static_cast<T>((row[j] - mean) * rstd * w[p] + b[p]);
      }
    }
  });
  return y;
}

// With xhat = (x - mean_r) rstd_r, gx = g w_p and sums over the L values of row r:
//   dL/dx = rstd_r (gx - sum gx / L - xhat sum(gx xhat) / L)
//   dL/dw_p = sum over the elements using p of g xhat,   dL/db_p = sum of g.
std::vector<Tensor> row_norm_backward(const Tensor& grad, const Tensor& x_in, const Tensor& weight,
                                      const RowNormShape& s, const RowStats& stats,
                                      bool want_input, bool want_weight, bool want_bias) {
  const Tensor g = grad.contiguous(), x = x_in.contiguous();
  const std::vector<double> w = values_or(weight, s.params(), 1.0);
  std::vector<double> dw(static_cast<std::size_t>(s.params()), 0.0), db(dw.size(), 0.0);
  Tensor dx = want_input ? empty(x.shape(), g.dtype()) : Tensor();
  ember::detail::dispatch_floating(g.dtype(), "norm backward", [&](auto zero) {
    using T = decltype(zero);
    const T* pg = g.data_ptr<T>();
    const T* px = x.data_ptr<T>();
    const std::int64_t per_group = s.len / s.span;
    const double inv_len = 1.0 / static_cast<double>(s.len);
    if (want_input) {
      T* pdx = dx.data_ptr<T>();
#pragma omp parallel for if (x.numel() > ember::detail::kParallelGrain)
      for (std::int64_t r = 0; r < s.rows; ++r) {
        const std::int64_t base = r * s.len, p0 = (r % s.groups) * per_group;
        const double mean = stats.mean[r], rstd = stats.rstd[r];
        double sum_gx = 0.0, sum_gx_xhat = 0.0;
        for (std::int64_t j = 0; j < s.len; ++j) {
          const double gx = pg[base + j] * w[p0 + j / s.span];
          sum_gx += gx;
          sum_gx_xhat += gx * (px[base + j] - mean) * rstd;
        }
        for (std::int64_t j = 0; j < s.len; ++j) {
          const double gx = pg[base + j] * w[p0 + j / s.span];
          const double xhat = (px[base + j] - mean) * rstd;
          pdx[base + j] =
              static_cast<T>(rstd * (gx - sum_gx * inv_len - xhat * sum_gx_xhat * inv_len));
        }
      }
    }
    if (!want_weight && !want_bias) return;
    // Rows share parameters: one thread sums them, in row order (deterministic).
    for (std::int64_t r = 0; r < s.rows; ++r) {
      const std::int64_t base = r * s.len, p0 = (r % s.groups) * per_group;
      for (std::int64_t j = 0; j < s.len; ++j) {
        const std::int64_t p = p0 + j / s.span;
        dw[p] += pg[base + j] * (px[base + j] - stats.mean[r]) * stats.rstd[r];
        db[p] += pg[base + j];
      }
    }
  });
  return {dx, want_weight ? tensor(dw, s.param_shape, g.dtype()) : Tensor(),
          want_bias ? tensor(db, s.param_shape, g.dtype()) : Tensor()};
}

}  // namespace ember::nn::detail
