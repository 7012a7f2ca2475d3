// Comparisons (eq, ne, lt, le, gt, ge) with broadcasting and bool results, plus allclose and
// equal. None of these has a gradient, as in PyTorch.
#include <cmath>
#include <functional>

#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"
#include "ember/tensor/strided.h"

namespace ember {
namespace {

// out[i] = cmp(a[i], b[i]) over the broadcast shape, both read in their promoted dtype.
template <class Compare>
Tensor compare(const Tensor& a, const Tensor& b, const char* op, Compare cmp) {
  const Shape shape = detail::broadcast_shapes(a.shape(), b.shape(), op);
  // Compare in a compute dtype: bool and integers as int64, the half types as float32.
  Dtype common = promote_types(a.dtype(), b.dtype());
  if (!is_floating_point(common)) common = kInt64;
  else if (common != kFloat64) common = kFloat32;
  const Tensor x = a.detach().to(common), y = b.detach().to(common);
  Tensor out = detail::new_tensor(shape, kBool);
  auto* o = static_cast<bool*>(out.raw_data());
  detail::dispatch_compute(common, op, [&](auto zero) {
    using T = decltype(zero);
    const T* px = x.data_ptr<T>();
    const T* py = y.data_ptr<T>();
    std::int64_t i = 0;
    detail::for_each_offset<2>(shape,
                               {detail::broadcast_strides(x.shape(), x.strides(), shape),
                                detail::broadcast_strides(y.shape(), y.strides(), shape)},
                               [&](std::int64_t ox, std::int64_t oy) { o[i++] = cmp(px[ox], py[oy]); });
  });
  return out;
}

}  // namespace

Tensor eq(const Tensor& a, const Tensor& b) { return compare(a, b, "eq", std::equal_to<>()); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare(a, b, "ne", std::not_equal_to<>()); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare(a, b, "lt", std::less<>()); }
Tensor le(const Tensor& a, const Tensor& b) { return compare(a, b, "le", std::less_equal<>()); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare(a, b, "gt", std::greater<>()); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare(a, b, "ge", std::greater_equal<>()); }

// A Python number compared with a tensor keeps the tensor's dtype unless the number is a
// float and the tensor an integer one (torch's "wrapped number" rule).
namespace {
Tensor scalar_like(const Tensor& a, double value) {
  const bool integral = value == std::floor(value);
  const Dtype dtype = is_floating_point(a.dtype()) || integral ? a.dtype() : kFloat32;
  return scalar_tensor(value, dtype == kBool ? kInt64 : dtype);
}
}  // namespace

Tensor gt(const Tensor& a, double b) { return gt(a, scalar_like(a, b)); }
Tensor lt(const Tensor& a, double b) { return lt(a, scalar_like(a, b)); }

Tensor Tensor::eq(const Tensor& other) const { return ember::eq(*this, other); }

// |a - b| <= atol + rtol * |b| everywhere (torch.allclose with equal_nan=False), in float64.
bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  if (a.shape() != b.shape()) return false;
  const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::isinf(x[i]) || std::isinf(y[i])) {
      if (x[i] != y[i]) return false;  // inf is only close to the same inf
      continue;
    }
    if (!(std::abs(x[i] - y[i]) <= atol + rtol * std::abs(y[i]))) return false;  // nan fails
  }
  return true;
}

// torch.equal: same shape and every element equal (nan is never equal to itself).
bool equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return false;
  if (a.numel() == 0) return true;
  const Tensor same = eq(a, b);
  const auto* p = static_cast<const bool*>(same.raw_data());
  for (std::int64_t i = 0; i < same.numel(); ++i) {
    if (!p[i]) return false;
  }
  return true;
}

}  // namespace ember
