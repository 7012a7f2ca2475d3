// Tensor: metadata, construction over storage, element access, and the autograd accessors.
#include "ember/tensor/tensor.h"

#include <cmath>
#include <sstream>

#include "ember/tensor/autograd.h"
#include "ember/tensor/strided.h"

namespace ember {

std::string shape_str(const Shape& shape) { return str(shape); }

std::int64_t numel_of(const Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t s : shape) n *= s;
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  std::int64_t stride = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= std::max<std::int64_t>(shape[i], 1);
  }
  return strides;
}

Tensor Tensor::from_storage(std::shared_ptr<Storage> storage, Dtype dtype, Shape shape,
                            Shape strides, std::int64_t offset) {
  check(storage != nullptr, "from_storage: storage is null");
  check(shape.size() == strides.size(), "from_storage: shape ", shape, " and strides ",
        strides, " differ in length");
  check(offset >= 0, "from_storage: negative storage offset ", offset);
  // The farthest element the view can reach must lie inside the storage.
  std::int64_t last = offset;
  bool empty = false;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    check(shape[i] >= 0, "from_storage: negative size ", shape[i], " in shape ", shape);
    check(strides[i] >= 0, "from_storage: negative stride in ", strides);
    if (shape[i] == 0) empty = true;
    else last += (shape[i] - 1) * strides[i];
  }
  const std::int64_t available =
      static_cast<std::int64_t>(storage->nbytes() / ember::element_size(dtype));
  check(empty || last < available, "from_storage: a tensor of shape ", shape,
        " with strides ", strides, " and offset ", offset, " needs ", last + 1,
        " elements, the storage holds ", available);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->dtype = dtype;
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  return Tensor(std::move(impl));
}

std::int64_t Tensor::size(std::int64_t d) const {
  return impl_->shape[static_cast<std::size_t>(detail::wrap_dim(d, dim(), "size"))];
}

std::int64_t Tensor::stride(std::int64_t d) const {
  return impl_->strides[static_cast<std::size_t>(detail::wrap_dim(d, dim(), "stride"))];
}

bool Tensor::is_contiguous() const {
  std::int64_t expected = 1;
  for (std::size_t i = impl_->shape.size(); i-- > 0;) {
    if (impl_->shape[i] == 1) continue;  // the stride of a size-1 dim never matters
    if (impl_->strides[i] != expected) return false;
    expected *= impl_->shape[i];
  }
  return true;
}

void* Tensor::raw_data() const {
  return impl_->storage->data() + impl_->offset * static_cast<std::int64_t>(element_size());
}

double Tensor::item() const {
  check(numel() == 1, "item: a Tensor with ", numel(),
        " elements cannot be converted to Scalar (expected exactly one)");
  return detail::load_as_double(static_cast<const std::byte*>(raw_data()), dtype());
}

template <class T>
T Tensor::item() const {
  if constexpr (std::is_same_v<T, std::int64_t>) {
    if (dtype() == kInt64) {
      check(numel() == 1, "item: a Tensor with ", numel(),
            " elements cannot be converted to Scalar (expected exactly one)");
      return *data_ptr<std::int64_t>();
    }
  }
  return static_cast<T>(item());
}
template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template std::int64_t Tensor::item<std::int64_t>() const;
template int Tensor::item<int>() const;
template bool Tensor::item<bool>() const;

double Tensor::at(const std::vector<std::int64_t>& index) const {
  check(static_cast<std::int64_t>(index.size()) == dim(), "at: expected an index of ", dim(),
        " numbers for a tensor of shape ", shape(), ", found ", index.size());
  std::int64_t offset = impl_->offset;
  for (std::size_t i = 0; i < index.size(); ++i) {
    std::int64_t k = index[i] < 0 ? index[i] + impl_->shape[i] : index[i];
    check(k >= 0 && k < impl_->shape[i], "at: index ", index[i], " is out of bounds for dimension ",
          i, " with size ", impl_->shape[i]);
    offset += k * impl_->strides[i];
  }
  return detail::load_as_double(
      impl_->storage->data() + offset * static_cast<std::int64_t>(element_size()), dtype());
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  std::vector<T> out;
  out.reserve(static_cast<std::size_t>(numel()));
  Tensor c = contiguous();
  const auto* base = static_cast<const std::byte*>(c.raw_data());
  const std::size_t es = element_size();
  for (std::int64_t i = 0; i < numel(); ++i) {
    if constexpr (std::is_same_v<T, std::int64_t>) {
      if (dtype() == kInt64) {
        out.push_back(c.data_ptr<std::int64_t>()[i]);
        continue;
      }
    }
    out.push_back(static_cast<T>(detail::load_as_double(base + i * es, dtype())));
  }
  return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;
template std::vector<int> Tensor::to_vector<int>() const;

// ---- autograd accessors ------------------------------------------------------------------

Tensor& Tensor::requires_grad_(bool requires_grad) {
  check(is_leaf() || requires_grad,
        "requires_grad_: you can only change requires_grad flags of leaf variables.");
  check(!requires_grad || is_floating_point(dtype()),
        "requires_grad_: only Tensors of floating point dtype can require gradients, found ",
        dtype_name(dtype()));
  impl_->requires_grad = requires_grad;
  return *this;
}

bool Tensor::is_leaf() const { return impl_->grad_fn == nullptr; }

Tensor Tensor::grad() const { return Tensor(impl_->grad); }

void Tensor::set_grad(const Tensor& grad) const {
  if (grad.defined()) {
    check(grad.shape() == shape(), "set_grad: assigned grad has shape ", grad.shape(),
          ", expected ", shape());
  }
  impl_->grad = grad.impl_ptr();
}

void Tensor::backward(const Tensor& gradient, bool retain_graph) const {
  autograd::run_backward(*this, gradient, retain_graph);
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->shape = impl_->shape;
  impl->strides = impl_->strides;
  impl->offset = impl_->offset;
  impl->dtype = impl_->dtype;
  return Tensor(std::move(impl));
}

// ---- internal helpers shared by the op files ---------------------------------------------

namespace detail {

Tensor new_tensor(const Shape& shape, Dtype dtype) {
  for (std::int64_t s : shape) check(s >= 0, "empty: negative size in shape ", shape);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(
      static_cast<std::size_t>(numel_of(shape)) * ember::element_size(dtype), /*zeroed=*/false);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

std::int64_t wrap_dim(std::int64_t dim, std::int64_t ndim, const char* op) {
  const std::int64_t lo = ndim == 0 ? -1 : -ndim;
  const std::int64_t hi = ndim == 0 ? 0 : ndim - 1;
  check(dim >= lo && dim <= hi, op, ": dimension out of range (expected to be in range of [", lo,
        ", ", hi, "], but got ", dim, ")");
  return dim < 0 ? dim + std::max<std::int64_t>(ndim, 1) : dim;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const std::size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (std::size_t i = 0; i < n; ++i) {
    // Align from the right; a missing dim counts as 1.
    std::int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    std::int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    check(da == db || da == 1 || db == 1, op, ": the size of tensor a (", da,
          ") must match the size of tensor b (", db, ") at non-singleton dimension ", i,
          " (shapes ", a, " and ", b, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Shape broadcast_strides(const Shape& shape, const Shape& strides, const Shape& to) {
  Shape out(to.size(), 0);
  const std::size_t lead = to.size() - shape.size();
  for (std::size_t i = 0; i < shape.size(); ++i) {
    out[lead + i] = shape[i] == 1 ? 0 : strides[i];
  }
  return out;
}

void copy_elements(const Tensor& dst, const Tensor& src) {
  const Dtype dt = dst.dtype(), st = src.dtype();
  auto* d = static_cast<std::byte*>(dst.raw_data());
  const auto* s = static_cast<const std::byte*>(src.raw_data());
  const auto des = static_cast<std::int64_t>(dst.element_size());
  const auto ses = static_cast<std::int64_t>(src.element_size());
  if (dt == st && dst.is_contiguous() && src.is_contiguous()) {
    std::memcpy(d, s, dst.nbytes());
    return;
  }
  if (dt == st) {
    // Same dtype: move raw element bytes, whatever the type (keeps int64 exact).
    for_each_offset<2>(dst.shape(), {dst.strides(), src.strides()},
                       [&](std::int64_t od, std::int64_t os) {
                         std::memcpy(d + od * des, s + os * ses, static_cast<std::size_t>(des));
                       });
    return;
  }
  if (dt == kFloat32 && st == kFloat64 && dst.is_contiguous() && src.is_contiguous()) {
    const auto* sp = reinterpret_cast<const double*>(s);
    auto* dp = reinterpret_cast<float*>(d);
    for (std::int64_t i = 0, n = dst.numel(); i < n; ++i) dp[i] = static_cast<float>(sp[i]);
    return;
  }
  for_each_offset<2>(dst.shape(), {dst.strides(), src.strides()},
                     [&](std::int64_t od, std::int64_t os) {
                       store_from_double(d + od * des, dt, load_as_double(s + os * ses, st));
                     });
}

}  // namespace detail
}  // namespace ember
