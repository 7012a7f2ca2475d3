// Mean squared error: F::mse_loss forward and backward.
#include "ember/nn/functional.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"
#include "ember/tensor/strided.h"

namespace ember::nn::functional {

// loss_i = (x_i - y_i)^2 over input's shape (target broadcast to it, as PyTorch does, which
// also warns), then reduced: "mean" divides the sum by the number of elements.
Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& options) {
  const Reduction reduction = options.reduction();
  check(input.defined() && target.defined(), "mse_loss: input and target must be defined");
  check(input.dtype() == target.dtype(), "mse_loss: expected input and target of one dtype, found ",
        dtype_name(input.dtype()), " and ", dtype_name(target.dtype()));
  const Shape shape = detail::broadcast_shapes(input.shape(), target.shape(), "mse_loss");
  const Tensor x = input.expand(shape).contiguous(), y = target.expand(shape).contiguous();
  const std::int64_t n = x.numel();
  Tensor diff = empty(shape, input.dtype());  // x - y, kept for backward
  Tensor out;
  detail::dispatch_floating(input.dtype(), "mse_loss", [&](auto zero) {
    using T = decltype(zero);
    const T *px = x.data_ptr<T>(), *py = y.data_ptr<T>();
    T* pd = diff.data_ptr<T>();
    for (std::int64_t i = 0; i < n; ++i) pd[i] = px[i] - py[i];
    if (reduction == Reduction::none) {
      out = empty(shape, input.dtype());
      T* po = out.data_ptr<T>();
      for (std::int64_t i = 0; i < n; ++i) po[i] = pd[i] * pd[i];
      return;
    }
    double sum = 0.0;
    for (std::int64_t i = 0; i < n; ++i) sum += double(pd[i]) * pd[i];
    out = scalar_tensor(reduction == Reduction::mean ? sum / double(n) : sum, input.dtype());
  });

  // dL/dx_i = 2 (x_i - y_i) s_i = -dL/dy_i, with s_i = g ("sum"), g / n ("mean"), g_i ("none");
  // each summed back to its input's shape when it was broadcast.
  const bool need_x = input.requires_grad(), need_y = target.requires_grad();
  const Shape input_shape = input.shape(), target_shape = target.shape();
  autograd::SavedTensor saved_diff(diff);
  return autograd::record(
      out, "MseLossBackward0", {input, target},
      [saved_diff, reduction, n, need_x, need_y, input_shape, target_shape](const Tensor& grad) {
        const double factor = reduction == Reduction::mean ? 2.0 / double(n) : 2.0;
        const Tensor dx = saved_diff.get() * grad * factor;  // grad broadcasts when reduced
        auto fit = [](const Tensor& g, const Shape& to) { return g.shape() == to ? g : sum_to(g, to); };
        return std::vector<Tensor>{need_x ? fit(dx, input_shape) : Tensor(),
                                   need_y ? fit(-dx, target_shape) : Tensor()};
      });
}

}  // namespace ember::nn::functional
