// Tensor: an n-dimensional view of a Storage, with autograd metadata.
//
// A Tensor is a cheap handle: copying one copies a shared_ptr, never the data, exactly as
// assigning a torch.Tensor in Python does. Views (view, transpose, narrow, ...) make a new
// handle onto the same Storage with other shape, strides and offset. Use clone() for a deep
// copy.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <utility>
#include <vector>

#include "ember/tensor/dtype.h"
#include "ember/tensor/error.h"
#include "ember/tensor/storage.h"

namespace ember {

using Shape = std::vector<std::int64_t>;

namespace autograd {
struct Node;
}
struct VarOptions;  // tensor/ops.h

// What a Tensor handle points at. Users go through Tensor; ops read the fields directly.
struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;  // in elements, as PyTorch's
  std::int64_t offset = 0;  // in elements
  Dtype dtype = kFloat32;

  // Autograd. A leaf has no grad_fn; a non-leaf points at the Node that made it.
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;
  std::shared_ptr<autograd::Node> grad_fn;
};

// Formats a shape as PyTorch does in messages: (4, 3).
std::string shape_str(const Shape& shape);
// Formats a shape as Python prints a torch.Size (t.shape, t.size()): torch.Size([4, 3]), what
// PyTorch's own messages about sizes show, such as load_state_dict's size mismatch.
std::string size_repr(const Shape& shape);
std::int64_t numel_of(const Shape& shape);
// Row-major strides of a contiguous tensor of this shape.
Shape contiguous_strides(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor (PyTorch's None in a grad slot)
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
  // A tensor over existing storage (serialize uses this to rebuild views of one storage).
  // Checks that every element the view can reach lies inside the storage.
  static Tensor from_storage(std::shared_ptr<Storage> storage, Dtype dtype, Shape shape,
                             Shape strides, std::int64_t offset);

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  // True when both handles point at the same TensorImpl (Python's `is`).
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // ---- metadata --------------------------------------------------------------------------
  const Shape& shape() const { return impl_->shape; }
  const Shape& sizes() const { return impl_->shape; }
  std::int64_t size(std::int64_t dim) const;  // negative dims count from the end
  const Shape& strides() const { return impl_->strides; }
  std::int64_t stride(std::int64_t dim) const;
  std::int64_t storage_offset() const { return impl_->offset; }
  std::int64_t dim() const { return static_cast<std::int64_t>(impl_->shape.size()); }
  std::int64_t numel() const { return numel_of(impl_->shape); }
  Dtype dtype() const { return impl_->dtype; }
  std::size_t element_size() const { return ember::element_size(impl_->dtype); }
  std::size_t nbytes() const { return static_cast<std::size_t>(numel()) * element_size(); }
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const { return impl_->storage; }

  // Pointer to element 0 (storage data + offset). data_ptr<T>() checks that T matches dtype.
  void* raw_data() const;
  template <class T>
  T* data_ptr() const {
    check(DtypeOf<T>::value == dtype(), "data_ptr: tensor has dtype ", dtype_name(dtype()),
          ", asked for ", dtype_name(DtypeOf<T>::value));
    return static_cast<T*>(raw_data());
  }

  // ---- element access (tests, printing) --------------------------------------------------
  // The single value of a one-element tensor, converted to double (int64 values beyond 2^53
  // lose precision: use item<std::int64_t>()).
  double item() const;
  template <class T>
  T item() const;
  // Element at a full index, as double. Checks bounds.
  double at(const std::vector<std::int64_t>& index) const;
  // All elements in row-major order, converted to T.
  template <class T>
  std::vector<T> to_vector() const;

  // ---- views (no copy) -------------------------------------------------------------------
  Tensor view(const Shape& shape) const;  // one entry may be -1
  Tensor reshape(const Shape& shape) const;  // a view when possible, else a copy
  Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1) const;
  Tensor transpose(std::int64_t dim0, std::int64_t dim1) const;
  Tensor t() const;  // 2-D transpose
  Tensor permute(const Shape& dims) const;
  Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
  Tensor select(std::int64_t dim, std::int64_t index) const;
  Tensor unsqueeze(std::int64_t dim) const;
  Tensor squeeze() const;
  Tensor squeeze(std::int64_t dim) const;
  Tensor expand(const Shape& shape) const;  // -1 keeps a size; stride 0 for broadcast dims
  Tensor contiguous() const;  // this tensor if already contiguous, else a copy
  Tensor clone() const;
  Tensor to(Dtype dtype) const;  // a copy in another dtype (this tensor if dtype matches)

  // ---- autograd --------------------------------------------------------------------------
  bool requires_grad() const { return impl_->requires_grad; }
  // Only leaves can change this, as in PyTorch.
  Tensor& requires_grad_(bool requires_grad = true);
  bool is_leaf() const;
  Tensor grad() const;  // undefined until a backward reaches this leaf
  void set_grad(const Tensor& grad) const;
  const std::shared_ptr<autograd::Node>& grad_fn() const { return impl_->grad_fn; }
  // Backpropagates from this tensor. Without gradient, the tensor must hold one element.
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false) const;
  // Same data, cut off from the graph.
  Tensor detach() const;

  // ---- math (tensor/ops.h has the free-function forms and the rest) ------------------------
  Tensor neg() const;
  Tensor pow(double exponent) const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor abs() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor clamp(double min, double max) const;
  Tensor sum() const;
  Tensor sum(const Shape& dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(const Shape& dims, bool keepdim = false) const;
  // (values, indices) of the maximum along dim, as torch.max(x, dim).
  std::pair<Tensor, Tensor> max(std::int64_t dim, bool keepdim = false) const;
  Tensor max() const;
  Tensor argmax(std::int64_t dim, bool keepdim = false) const;
  std::pair<Tensor, Tensor> min(std::int64_t dim, bool keepdim = false) const;
  Tensor min() const;
  Tensor argmin(std::int64_t dim, bool keepdim = false) const;
  Tensor maximum(const Tensor& other) const;
  Tensor minimum(const Tensor& other) const;
  // Options and semantics: ember::var and ember::std in tensor/ops.h.
  Tensor var(const Shape& dims = {}) const;
  Tensor var(const Shape& dims, const VarOptions& options) const;
  Tensor std(const Shape& dims = {}) const;
  Tensor std(const Shape& dims, const VarOptions& options) const;
  Tensor cumsum(std::int64_t dim) const;
  std::pair<Tensor, Tensor> sort(std::int64_t dim = -1, bool descending = false) const;
  std::pair<Tensor, Tensor> topk(std::int64_t k, std::int64_t dim = -1, bool largest = true,
                                 bool sorted = true) const;
  Tensor gather(std::int64_t dim, const Tensor& index) const;
  // nn::functional::softmax and log_softmax (nn/softmax.cpp) as methods.
  Tensor softmax(std::int64_t dim) const;
  Tensor log_softmax(std::int64_t dim) const;
  Tensor matmul(const Tensor& other) const;
  Tensor eq(const Tensor& other) const;

  // ---- in place (bump the version counter) ------------------------------------------------
  Tensor& add_(const Tensor& other, double alpha = 1.0);
  Tensor& add_(double value);
  Tensor& sub_(const Tensor& other, double alpha = 1.0);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(double value);
  Tensor& div_(double value);
  Tensor& zero_();
  Tensor& fill_(double value);
  Tensor& copy_(const Tensor& src);  // broadcasts src, converts dtype

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Prints like PyTorch: tensor([[1., 2.], [3., 4.]], dtype=torch.float64, requires_grad=True).
std::ostream& operator<<(std::ostream& out, const Tensor& tensor);

}  // namespace ember
