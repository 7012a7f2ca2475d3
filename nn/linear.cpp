// Linear: F::linear as one GEMM (tensor/gemm.h) forward and two in backward, and the Linear
// module.
#include "ember/nn/linear.h"

#include <Eigen/Core>
#include <cmath>

#include "ember/nn/functional.h"
#include "ember/nn/init.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/gemm.h"

namespace ember::nn {
namespace {

template <class T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using RowVector = Eigen::Matrix<T, 1, Eigen::Dynamic>;

// A contiguous tensor seen as a row-major (rows, cols) matrix, without copying.
template <class T>
Eigen::Map<const RowMatrix<T>> as_matrix(const Tensor& t, std::int64_t rows, std::int64_t cols) {
  return {t.data_ptr<T>(), rows, cols};
}
template <class T>
Eigen::Map<RowMatrix<T>> as_mut_matrix(const Tensor& t, std::int64_t rows, std::int64_t cols) {
  return {t.data_ptr<T>(), rows, cols};
}

void check_linear_args(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  check(input.defined() && weight.defined(), "linear: input and weight must be defined");
  check(input.dim() >= 1, "linear: expected input of shape (*, in_features), found a 0-d tensor");
  check(weight.dim() == 2, "linear: expected weight of shape (out_features, in_features), found ",
        weight.shape());
  check(input.size(-1) == weight.size(1), "linear: input's last dim is ", input.size(-1),
        " (input shape ", input.shape(), "), expected in_features = ", weight.size(1),
        " (weight shape ", weight.shape(), ")");
  check(input.dtype() == weight.dtype(), "linear: expected input and weight of one dtype, found ",
        dtype_name(input.dtype()), " and ", dtype_name(weight.dtype()));
  if (bias.defined()) {
    check(bias.dim() == 1 && bias.size(0) == weight.size(0), "linear: expected bias of shape ",
          Shape{weight.size(0)}, ", found ", bias.shape());
    check(bias.dtype() == weight.dtype(), "linear: expected bias of dtype ",
          dtype_name(weight.dtype()), ", found ", dtype_name(bias.dtype()));
  }
}

}  // namespace

namespace functional {

// x (M, in) with M the product of input's leading dims, W (out, in), b (out):
//   y (M, out) = b + x W^T, computed as one GEMM accumulating into rows preset to b.
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  check_linear_args(input, weight, bias);
  const std::int64_t in = weight.size(1), out_features = weight.size(0);
  std::int64_t rows = 1;  // the product of the leading dims (numel / in fails for in == 0)
  for (std::int64_t d = 0; d + 1 < input.dim(); ++d) rows *= input.size(d);
  Shape out_shape = input.shape();
  out_shape.back() = out_features;

  const Tensor x = input.contiguous(), w = weight.contiguous();
  const Tensor b = bias.defined() ? bias.contiguous() : Tensor();
  Tensor y = empty(out_shape, input.dtype());
  detail::dispatch_floating(input.dtype(), "linear", [&](auto zero) {
    using T = decltype(zero);
    if (b.defined()) {
      as_mut_matrix<T>(y, rows, out_features).rowwise() =
          Eigen::Map<const RowVector<T>>(b.data_ptr<T>(), out_features);
    }
    ember::detail::gemm<T>(rows, out_features, in, ember::detail::row_major(x.data_ptr<T>(), in),
                           ember::detail::row_major(w.data_ptr<T>(), in).t(), y.data_ptr<T>(),
                           out_features, /*accumulate=*/b.defined());
  });

  // With g = dL/dy (M, out):
  //   dL/dx = g W (M, in),   dL/dW = g^T x (out, in),   dL/db = sum of g's rows (out).
  const bool need_x = input.requires_grad(), need_w = weight.requires_grad();
  const bool need_b = bias.defined() && bias.requires_grad();
  autograd::SavedTensor saved_x(need_w ? x : Tensor()), saved_w(need_x ? w : Tensor());
  const Shape input_shape = input.shape();
  return autograd::record(
      y, "AddmmBackward0", {input, weight, bias},
      [saved_x, saved_w, input_shape, rows, in, out_features, need_x, need_w,
       need_b](const Tensor& grad_output) {
        const Tensor g = grad_output.contiguous();
        std::vector<Tensor> grads(3);
        detail::dispatch_floating(g.dtype(), "linear backward", [&](auto zero) {
          using T = decltype(zero);
          const auto G = as_matrix<T>(g, rows, out_features);
          const auto g_rows = ember::detail::row_major(g.data_ptr<T>(), out_features);
          if (need_x) {
            grads[0] = empty(input_shape, g.dtype());
            ember::detail::gemm<T>(rows, in, out_features, g_rows,
                                   ember::detail::row_major(saved_w.get().data_ptr<T>(), in),
                                   grads[0].data_ptr<T>(), in, /*accumulate=*/false);
          }
          if (need_w) {
            grads[1] = empty({out_features, in}, g.dtype());
            ember::detail::gemm<T>(out_features, in, rows, g_rows.t(),
                                   ember::detail::row_major(saved_x.get().data_ptr<T>(), in),
                                   grads[1].data_ptr<T>(), in, /*accumulate=*/false);
          }
          if (need_b) {
            grads[2] = empty({out_features}, g.dtype());
            Eigen::Map<RowVector<T>>(grads[2].data_ptr<T>(), out_features) = G.colwise().sum();
          }
        });
        return grads;
      });
}

}  // namespace functional

Linear::Linear(const LinearOptions& opts) : options(opts) {
  const std::int64_t in_features = options.in_features(), out_features = options.out_features();
  check(in_features >= 0 && out_features >= 0,
        "Linear: expected non-negative in_features and out_features, found ", in_features, " and ",
        out_features);
  weight = register_parameter("weight", empty({out_features, in_features}));
  if (options.bias()) bias = register_parameter("bias", empty({out_features}));
  reset_parameters();
}

void Linear::reset_parameters() {
  // kaiming_uniform_ with a = sqrt(5) gives gain sqrt(1/3), so bound = sqrt(3) gain / sqrt(fan_in)
  // = 1/sqrt(fan_in): PyTorch's historical default, kept for identical statistics.
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const std::int64_t fan_in = options.in_features();
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Linear::forward(const Tensor& input) { return functional::linear(input, weight, bias); }

std::string Linear::extra_repr() const {
  return str("in_features=", options.in_features(), ", out_features=", options.out_features(),
             ", bias=", bias.defined() ? "True" : "False");
}

}  // namespace ember::nn
