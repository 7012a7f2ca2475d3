// Joining and selecting: cat, stack (torch.cat, torch.stack) and where (torch.where), each with
// its backward.
#include <cstring>

#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"
#include "ember/tensor/strided.h"

namespace ember {
namespace {

// The inputs converted to their common dtype (PyTorch promotes: cat of float32 and float64 is
// float64). Conversion is a recorded op, so gradients flow back through it.
std::vector<Tensor> promoted(const std::vector<Tensor>& tensors) {
  Dtype common = tensors[0].dtype();
  for (const Tensor& t : tensors) common = promote_types(common, t.dtype());
  std::vector<Tensor> out;
  out.reserve(tensors.size());
  for (const Tensor& t : tensors) out.push_back(t.to(common));
  return out;
}

// Checks that parts can be concatenated along dim and returns the output's shape.
Shape cat_shape(const std::vector<Tensor>& parts, std::int64_t dim) {
  Shape shape = parts[0].shape();
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const Shape& s = parts[i].shape();
    check(s.size() == shape.size(), "cat: tensors must have the same number of dimensions, found ",
          shape.size(), " for tensor number 0 and ", s.size(), " for tensor number ", i);
    for (std::size_t d = 0; d < s.size(); ++d) {
      if (static_cast<std::int64_t>(d) == dim) continue;
      check(s[d] == shape[d], "cat: sizes of tensors must match except in dimension ", dim,
            ". Expected size ", shape[d], " but got size ", s[d], " for tensor number ", i,
            " in the list");
    }
    shape[static_cast<std::size_t>(dim)] += s[static_cast<std::size_t>(dim)];
  }
  return shape;
}

// Copies each part into its slice of a new tensor (no autograd). parts share dtype and rank.
Tensor cat_forward(const std::vector<Tensor>& parts, std::int64_t dim) {
  Tensor out = detail::new_tensor(cat_shape(parts, dim), parts[0].dtype());
  std::int64_t offset = 0;
  for (const Tensor& part : parts) {
    const std::int64_t size = part.size(dim);
    detail::copy_elements(out.narrow(dim, offset, size), part.detach());
    offset += size;
  }
  return out;
}

}  // namespace

// out = [t_0, t_1, ...] along dim; the gradient of t_i is its slice of the output's gradient.
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim) {
  check(!tensors.empty(), "cat: expected a non-empty list of tensors");
  const std::vector<Tensor> parts = promoted(tensors);
  check(parts[0].dim() > 0, "cat: zero-dimensional tensor (at position 0) cannot be concatenated");
  const std::int64_t d = detail::wrap_dim(dim, parts[0].dim(), "cat");
  Tensor out = cat_forward(parts, d);
  std::vector<std::int64_t> sizes;
  for (const Tensor& part : parts) sizes.push_back(part.size(d));
  return autograd::record(out, "CatBackward0", parts, [d, sizes](const Tensor& grad) {
    std::vector<Tensor> grads;
    std::int64_t offset = 0;
    for (std::int64_t size : sizes) {
      grads.push_back(grad.narrow(d, offset, size));
      offset += size;
    }
    return grads;
  });
}

// out[..., i, ...] = t_i along a new dim; the gradient of t_i is grad.select(dim, i).
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim) {
  check(!tensors.empty(), "stack: expected a non-empty list of tensors");
  const std::vector<Tensor> parts = promoted(tensors);
  for (std::size_t i = 1; i < parts.size(); ++i) {
    check(parts[i].shape() == parts[0].shape(), "stack: expected each tensor to be equal size, "
          "but got ", parts[0].shape(), " at entry 0 and ", parts[i].shape(),
          " at entry ", i);
  }
  const std::int64_t d = detail::wrap_dim(dim, parts[0].dim() + 1, "stack");
  std::vector<Tensor> unsqueezed;
  for (const Tensor& part : parts) unsqueezed.push_back(part.detach().unsqueeze(d));
  Tensor out = cat_forward(unsqueezed, d);
  const std::size_t count = parts.size();
  return autograd::record(out, "StackBackward0", parts, [d, count](const Tensor& grad) {
    std::vector<Tensor> grads;
    for (std::size_t i = 0; i < count; ++i) grads.push_back(grad.select(d, static_cast<std::int64_t>(i)));
    return grads;
  });
}

// out = condition ? a : b elementwise, all three broadcast together.
// d(out)/da = condition, d(out)/db = !condition (each summed back to its input's shape).
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  check(condition.dtype() == kBool, "where: expected condition to be a bool tensor, found ",
        dtype_name(condition.dtype()));
  const std::vector<Tensor> values = promoted({a, b});
  const Tensor& x = values[0];
  const Tensor& y = values[1];
  const Shape shape = detail::broadcast_shapes(
      detail::broadcast_shapes(condition.shape(), x.shape(), "where"), y.shape(), "where");
  Tensor out = detail::new_tensor(shape, x.dtype());
  const auto* pc = static_cast<const bool*>(condition.raw_data());
  const auto* px = static_cast<const std::byte*>(x.raw_data());
  const auto* py = static_cast<const std::byte*>(y.raw_data());
  auto* po = static_cast<std::byte*>(out.raw_data());
  // Element bytes are moved as they are, so any dtype works (int64 stays exact).
  const auto size = static_cast<std::int64_t>(x.element_size());
  std::int64_t i = 0;
  detail::for_each_offset<3>(
      shape,
      {detail::broadcast_strides(condition.shape(), condition.strides(), shape),
       detail::broadcast_strides(x.shape(), x.strides(), shape),
       detail::broadcast_strides(y.shape(), y.strides(), shape)},
      [&](std::int64_t oc, std::int64_t ox, std::int64_t oy) {
        std::memcpy(po + (i++) * size, pc[oc] ? px + ox * size : py + oy * size,
                    static_cast<std::size_t>(size));
      });

  autograd::SavedTensor saved_condition(condition);
  const Shape x_shape = x.shape(), y_shape = y.shape();
  return autograd::record(out, "WhereBackward0", {x, y},
                          [saved_condition, x_shape, y_shape](const Tensor& grad) {
    const Tensor c = saved_condition.get();
    const Tensor zero = scalar_tensor(0.0, grad.dtype());
    return std::vector<Tensor>{sum_to(where(c, grad, zero), x_shape),
                               sum_to(where(c, zero, grad), y_shape)};
  });
}

}  // namespace ember
