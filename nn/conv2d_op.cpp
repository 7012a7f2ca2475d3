// functional::conv2d: checks, the forward kernel, and the autograd node that runs the backward
// kernel (nn/conv2d_kernels.h) with only the tensors the wanted gradients read.
#include <vector>

#include "ember/nn/conv2d_kernels.h"
#include "ember/nn/conv2d_shape.h"
#include "ember/nn/functional.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/strided.h"

namespace ember::nn {

namespace functional {

Tensor conv2d(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& options) {
  // Unbatched (C, H, W) input runs as a batch of one, as in PyTorch; the views carry the
  // gradient through.
  check(!input.defined() || input.dim() == 3 || input.dim() == 4,
        "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: ",
        ember::detail::int_list_str(input.shape()));
  if (input.dim() == 3) return conv2d(input.unsqueeze(0), weight, options).squeeze(0);
  const Tensor& bias = options.bias();
  const detail::ConvShape s = detail::check_conv2d(input, weight, bias, options.stride(), options.padding(),
                                   options.dilation(), options.groups());
  Tensor out = empty({s.batch, s.out_channels, s.image.out_h, s.image.out_w}, input.dtype());
  {
    const Tensor x = input.contiguous(), w = weight.contiguous();
    const Tensor b = bias.defined() ? bias.contiguous() : Tensor();
    ember::detail::dispatch_floating(input.dtype(), "conv2d", [&](auto zero) {
      using T = decltype(zero);
      const T* b_ptr = b.defined() ? b.data_ptr<T>() : nullptr;
      detail::conv2d_forward<T>(x.data_ptr<T>(), w.data_ptr<T>(), b_ptr, out.data_ptr<T>(), s);
    });
  }
  if (!autograd::needs_grad({input, weight, bias})) return out;

  // Only what the wanted gradients read is kept: the input for dL/dW, the weight for dL/dx.
  const bool want_input = input.requires_grad();
  const bool want_weight = weight.requires_grad();
  const bool want_bias = bias.defined() && bias.requires_grad();
  autograd::SavedTensor saved_input(want_weight ? input : Tensor());
  autograd::SavedTensor saved_weight(want_input ? weight : Tensor());
  return autograd::record(
      out, "ConvolutionBackward0", {input, weight, bias},
      [=](const Tensor& grad_output) {
        const Tensor dy = grad_output.contiguous();
        const Tensor x = want_weight ? saved_input.get().contiguous() : Tensor();
        const Tensor w = saved_weight.get().defined() ? saved_weight.get().contiguous() : Tensor();
        Tensor dx = want_input ? empty({s.batch, s.in_channels, s.image.height, s.image.width},
                                       dy.dtype())
                               : Tensor();
        Tensor dw = want_weight ? empty({s.out_channels, s.image.channels, s.image.kernel_h,
                                         s.image.kernel_w}, dy.dtype())
                                : Tensor();
        Tensor db = want_bias ? empty({s.out_channels}, dy.dtype()) : Tensor();
        ember::detail::dispatch_floating(dy.dtype(), "conv2d backward", [&](auto zero) {
          using T = decltype(zero);
          auto ptr = [](const Tensor& t) { return t.defined() ? t.data_ptr<T>() : nullptr; };
          detail::conv2d_backward<T>(dy.data_ptr<T>(), ptr(x), ptr(w), ptr(dx), ptr(dw), ptr(db), s);
        });
        return std::vector<Tensor>{dx, dw, db};
      });
}

}  // namespace functional

}  // namespace ember::nn
