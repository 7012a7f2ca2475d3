// Views: new shapes and strides over the same storage, each with its backward beside it.
// Also contiguous(), clone() and to(), the ways out of a view into fresh memory.
#include <algorithm>
#include <numeric>

#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"
#include "ember/tensor/strided.h"

namespace ember {

namespace {

// A handle onto base's storage with other geometry. Autograd is recorded by the caller.
Tensor make_view(const Tensor& base, Shape shape, Shape strides, std::int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.storage();
  impl->dtype = base.dtype();
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  return Tensor(std::move(impl));
}

std::string list_str(const Shape& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// Replaces one -1 in shape by what makes numel match, as torch.Tensor.view does.
Shape infer_size(const Shape& shape, std::int64_t numel, const char* op) {
  Shape out = shape;
  std::int64_t known = 1;
  int infer_at = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      check(infer_at < 0, op, ": only one dimension can be inferred, found shape ", list_str(shape));
      infer_at = static_cast<int>(i);
    } else {
      check(shape[i] >= 0, op, ": invalid shape dimension ", shape[i], " in ", list_str(shape));
      known *= shape[i];
    }
  }
  const bool ok = infer_at >= 0 ? (known != 0 && numel % known == 0) : known == numel;
  check(ok, op, ": shape '", list_str(shape), "' is invalid for input of size ", numel);
  if (infer_at >= 0) out[static_cast<std::size_t>(infer_at)] = numel / known;
  return out;
}

}  // namespace

// ---- view / reshape / flatten: same elements, new shape -------------------------------------
// backward: the gradient is reshaped back to the input's shape.
Tensor Tensor::view(const Shape& shape) const {
  Shape out_shape = infer_size(shape, numel(), "view");
  check(is_contiguous(), "view: view size is not compatible with input tensor's size and stride "
        "(at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.");
  Tensor out = make_view(*this, out_shape, contiguous_strides(out_shape), storage_offset());
  Shape in_shape = this->shape();
  return autograd::record(out, "ViewBackward0", {*this}, [in_shape](const Tensor& grad) {
    return std::vector<Tensor>{grad.reshape(in_shape)};
  });
}

Tensor Tensor::reshape(const Shape& shape) const {
  if (is_contiguous()) return view(shape);
  return contiguous().view(shape);
}

Tensor Tensor::flatten(std::int64_t start_dim, std::int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  const std::int64_t s = detail::wrap_dim(start_dim, dim(), "flatten");
  const std::int64_t e = detail::wrap_dim(end_dim, dim(), "flatten");
  check(s <= e, "flatten: start_dim (", start_dim, ") cannot come after end_dim (", end_dim, ")");
  Shape out(shape().begin(), shape().begin() + s);
  std::int64_t merged = 1;
  for (std::int64_t i = s; i <= e; ++i) merged *= size(i);
  out.push_back(merged);
  out.insert(out.end(), shape().begin() + e + 1, shape().end());
  return reshape(out);
}

// ---- transpose / permute: reorder dims -------------------------------------------------------
// backward: apply the inverse permutation to the gradient.
Tensor Tensor::permute(const Shape& dims) const {
  check(static_cast<std::int64_t>(dims.size()) == dim(), "permute: number of dims don't match "
        "in permute (expected ", dim(), ", found ", dims.size(), ")");
  Shape shape(dims.size()), strides(dims.size()), inverse(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const auto d = static_cast<std::size_t>(detail::wrap_dim(dims[i], dim(), "permute"));
    check(!seen[d], "permute: repeated dim ", dims[i], " in ", list_str(dims));
    seen[d] = true;
    shape[i] = this->shape()[d];
    strides[i] = this->strides()[d];
    inverse[d] = static_cast<std::int64_t>(i);
  }
  Tensor out = make_view(*this, shape, strides, storage_offset());
  return autograd::record(out, "PermuteBackward0", {*this}, [inverse](const Tensor& grad) {
    return std::vector<Tensor>{grad.permute(inverse)};
  });
}

Tensor Tensor::transpose(std::int64_t dim0, std::int64_t dim1) const {
  const std::int64_t a = detail::wrap_dim(dim0, dim(), "transpose");
  const std::int64_t b = detail::wrap_dim(dim1, dim(), "transpose");
  Shape shape = this->shape(), strides = this->strides();
  std::swap(shape[a], shape[b]);
  std::swap(strides[a], strides[b]);
  Tensor out = make_view(*this, shape, strides, storage_offset());
  return autograd::record(out, "TransposeBackward0", {*this}, [a, b](const Tensor& grad) {
    return std::vector<Tensor>{grad.transpose(a, b)};
  });
}

Tensor Tensor::t() const {
  check(dim() <= 2, "t: expects a tensor with <= 2 dimensions, but self is ", dim(), "D");
  return dim() < 2 ? *this : transpose(0, 1);
}

// ---- narrow / select: a slice ----------------------------------------------------------------
// backward: zeros of the input's shape with the gradient written into the slice.
Tensor Tensor::narrow(std::int64_t d, std::int64_t start, std::int64_t length) const {
  check(dim() > 0, "narrow: cannot be applied to a 0-dim tensor.");
  const std::int64_t k = detail::wrap_dim(d, dim(), "narrow");
  if (start < 0) start += size(k);
  check(start >= 0 && length >= 0 && start + length <= size(k), "narrow: start (", start,
        ") + length (", length, ") exceeds dimension size (", size(k), ").");
  Shape shape = this->shape();
  shape[k] = length;
  Tensor out = make_view(*this, shape, strides(), storage_offset() + start * stride(k));
  Shape in_shape = this->shape();
  return autograd::record(out, "NarrowBackward0", {*this},
                          [in_shape, k, start, length](const Tensor& grad) {
                            Tensor g = zeros(in_shape, grad.dtype());
                            g.narrow(k, start, length).copy_(grad);
                            return std::vector<Tensor>{g};
                          });
}

Tensor Tensor::select(std::int64_t d, std::int64_t index) const {
  check(dim() > 0, "select: cannot be applied to a 0-dim tensor.");
  const std::int64_t k = detail::wrap_dim(d, dim(), "select");
  const std::int64_t n = size(k);
  check(index >= -n && index < n, "select: index ", index, " out of range for tensor of size ",
        shape(), " at dimension ", k);
  if (index < 0) index += n;
  Shape shape = this->shape(), strides = this->strides();
  shape.erase(shape.begin() + k);
  strides.erase(strides.begin() + k);
  Tensor out = make_view(*this, shape, strides, storage_offset() + index * stride(k));
  Shape in_shape = this->shape();
  return autograd::record(out, "SelectBackward0", {*this}, [in_shape, k, index](const Tensor& grad) {
    Tensor g = zeros(in_shape, grad.dtype());
    g.select(k, index).copy_(grad);
    return std::vector<Tensor>{g};
  });
}

// ---- unsqueeze / squeeze: add or drop size-1 dims ------------------------------------------
// backward: reshape the gradient back.
Tensor Tensor::unsqueeze(std::int64_t d) const {
  const std::int64_t k = detail::wrap_dim(d, dim() + 1, "unsqueeze");
  Shape shape = this->shape(), strides = this->strides();
  const std::int64_t st = k < dim() ? stride(k) * size(k) : 1;
  shape.insert(shape.begin() + k, 1);
  strides.insert(strides.begin() + k, st);
  Tensor out = make_view(*this, shape, strides, storage_offset());
  return autograd::record(out, "UnsqueezeBackward0", {*this}, [k](const Tensor& grad) {
    return std::vector<Tensor>{grad.squeeze(k)};
  });
}

Tensor Tensor::squeeze() const {
  Shape shape, strides;
  for (std::int64_t i = 0; i < dim(); ++i) {
    if (size(i) != 1) {
      shape.push_back(size(i));
      strides.push_back(stride(i));
    }
  }
  Tensor out = make_view(*this, shape, strides, storage_offset());
  Shape in_shape = this->shape();
  return autograd::record(out, "SqueezeBackward0", {*this}, [in_shape](const Tensor& grad) {
    return std::vector<Tensor>{grad.reshape(in_shape)};
  });
}

Tensor Tensor::squeeze(std::int64_t d) const {
  const std::int64_t k = detail::wrap_dim(d, dim(), "squeeze");
  if (dim() == 0 || size(k) != 1) return make_view(*this, shape(), strides(), storage_offset());
  Shape shape = this->shape(), strides = this->strides();
  shape.erase(shape.begin() + k);
  strides.erase(strides.begin() + k);
  Tensor out = make_view(*this, shape, strides, storage_offset());
  return autograd::record(out, "SqueezeBackward1", {*this}, [k](const Tensor& grad) {
    return std::vector<Tensor>{grad.unsqueeze(k)};
  });
}

// ---- expand: broadcast with stride 0 ---------------------------------------------------------
// backward: sum the gradient over the expanded dims.
Tensor Tensor::expand(const Shape& shape) const {
  check(shape.size() >= static_cast<std::size_t>(dim()), "expand: the number of sizes provided (",
        shape.size(), ") must be greater or equal to the number of dimensions in the tensor (",
        dim(), ")");
  Shape out_shape = shape, out_strides(shape.size(), 0);
  const std::size_t lead = shape.size() - static_cast<std::size_t>(dim());
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i < lead) {
      check(shape[i] >= 0, "expand: -1 is not allowed in a leading, non-existing dimension");
      continue;
    }
    const std::int64_t have = this->shape()[i - lead];
    if (shape[i] == -1) out_shape[i] = have;
    check(out_shape[i] == have || have == 1, "expand: the expanded size of the tensor (",
          out_shape[i], ") must match the existing size (", have, ") at non-singleton dimension ",
          i, ".  Target sizes: ", list_str(shape), ".  Tensor sizes: ", list_str(this->shape()));
    out_strides[i] = (have == 1 && out_shape[i] != 1) ? 0 : strides()[i - lead];
  }
  Tensor out = make_view(*this, out_shape, out_strides, storage_offset());
  Shape in_shape = this->shape();
  return autograd::record(out, "ExpandBackward0", {*this}, [in_shape](const Tensor& grad) {
    return std::vector<Tensor>{sum_to(grad, in_shape)};
  });
}

// ---- copies ----------------------------------------------------------------------------------
// backward of clone: the gradient passes through unchanged.
Tensor Tensor::clone() const {
  Tensor out = detail::new_tensor(shape(), dtype());
  detail::copy_elements(out, *this);
  return autograd::record(out, "CloneBackward0", {*this}, [](const Tensor& grad) {
    return std::vector<Tensor>{grad};
  });
}

Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(); }

// backward of to(dtype): the gradient converted back to the input's dtype.
Tensor Tensor::to(Dtype target) const {
  if (target == dtype()) return *this;
  Tensor out = detail::new_tensor(shape(), target);
  detail::copy_elements(out, *this);
  if (!is_floating_point(target)) return out;  // no gradient flows into integers
  const Dtype source = dtype();
  return autograd::record(out, "ToCopyBackward0", {*this}, [source](const Tensor& grad) {
    return std::vector<Tensor>{grad.to(source)};
  });
}

}  // namespace ember
