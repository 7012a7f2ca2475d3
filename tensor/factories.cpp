// Factories: new tensors from constants, ranges, C++ data and random draws.
#include "ember/tensor/factories.h"

#include <cmath>
#include <cstring>

#include "ember/tensor/dispatch.h"
#include "ember/tensor/strided.h"

namespace ember {

Tensor empty(const Shape& shape, Dtype dtype) { return detail::new_tensor(shape, dtype); }

Tensor zeros(const Shape& shape, Dtype dtype) {
  for (std::int64_t s : shape) check(s >= 0, "zeros: negative size in shape ", shape);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage =
      std::make_shared<Storage>(static_cast<std::size_t>(numel_of(shape)) * element_size(dtype));
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor full(const Shape& shape, double value, Dtype dtype) {
  Tensor t = empty(shape, dtype);
  t.fill_(value);
  return t;
}

Tensor ones(const Shape& shape, Dtype dtype) { return full(shape, 1.0, dtype); }
Tensor zeros_like(const Tensor& like) { return zeros(like.shape(), like.dtype()); }
Tensor ones_like(const Tensor& like) { return ones(like.shape(), like.dtype()); }
Tensor empty_like(const Tensor& like) { return empty(like.shape(), like.dtype()); }

Tensor arange(double end, Dtype dtype) { return arange(0.0, end, 1.0, dtype); }

Tensor arange(double start, double end, double step, Dtype dtype) {
  check(step != 0.0, "arange: step must be nonzero");
  check((step > 0 && end >= start) || (step < 0 && end <= start),
        "arange: upper bound and larger bound inconsistent with step sign");
  const auto n = static_cast<std::int64_t>(std::ceil((end - start) / step));
  Tensor t = empty({n}, dtype);
  auto* p = static_cast<std::byte*>(t.raw_data());
  for (std::int64_t i = 0; i < n; ++i) {
    detail::store_from_double(p + i * static_cast<std::int64_t>(t.element_size()), dtype,
                              start + static_cast<double>(i) * step);
  }
  return t;
}

Tensor scalar_tensor(double value, Dtype dtype) { return full({}, value, dtype); }

Tensor tensor(const std::vector<double>& values, const Shape& shape, Dtype dtype) {
  Shape s = shape.empty() ? Shape{static_cast<std::int64_t>(values.size())} : shape;
  check(numel_of(s) == static_cast<std::int64_t>(values.size()), "tensor: ", values.size(),
        " values cannot fill shape ", s);
  Tensor t = empty(s, dtype);
  auto* p = static_cast<std::byte*>(t.raw_data());
  for (std::size_t i = 0; i < values.size(); ++i) {
    detail::store_from_double(p + i * t.element_size(), dtype, values[i]);
  }
  return t;
}

Tensor tensor(std::initializer_list<double> values, Dtype dtype) {
  return tensor(std::vector<double>(values), {}, dtype);
}

Tensor tensor_int64(const std::vector<std::int64_t>& values, const Shape& shape) {
  Shape s = shape.empty() ? Shape{static_cast<std::int64_t>(values.size())} : shape;
  check(numel_of(s) == static_cast<std::int64_t>(values.size()), "tensor_int64: ", values.size(),
        " values cannot fill shape ", s);
  Tensor t = empty(s, kInt64);
  if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * 8);
  return t;
}

Tensor from_bytes(const void* data, Dtype dtype, const Shape& shape) {
  Tensor t = empty(shape, dtype);
  if (t.nbytes() > 0) std::memcpy(t.raw_data(), data, t.nbytes());
  return t;
}

namespace {
Generator& pick(Generator* g) { return g ? *g : default_generator(); }
}

Tensor rand(const Shape& shape, Dtype dtype, Generator* generator) {
  Generator& gen = pick(generator);
  Tensor t = empty(shape, dtype);
  detail::dispatch_floating(dtype, "rand", [&](auto zero) {
    using T = decltype(zero);
    T* p = t.data_ptr<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) {
      if constexpr (std::is_same_v<T, float>) p[i] = gen.uniform_float();
      else p[i] = gen.uniform_double();
    }
  });
  return t;
}

Tensor randn(const Shape& shape, Dtype dtype, Generator* generator) {
  Generator& gen = pick(generator);
  Tensor t = empty(shape, dtype);
  detail::dispatch_floating(dtype, "randn", [&](auto zero) {
    using T = decltype(zero);
    T* p = t.data_ptr<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(gen.normal());
  });
  return t;
}

Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator* generator) {
  check(high > low, "randint: expects low < high, found low=", low, " and high=", high);
  Generator& gen = pick(generator);
  Tensor t = empty(shape, kInt64);
  auto* p = t.data_ptr<std::int64_t>();
  const auto range = static_cast<std::uint64_t>(high - low);
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    p[i] = low + static_cast<std::int64_t>(gen.random_below(range));
  }
  return t;
}

Tensor randperm(std::int64_t n, Generator* generator) {
  check(n >= 0, "randperm: n must be non-negative, found ", n);
  Generator& gen = pick(generator);
  Tensor t = arange(static_cast<double>(n));
  auto* p = t.data_ptr<std::int64_t>();
  // Fisher-Yates shuffle.
  for (std::int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(gen.random_below(static_cast<std::uint64_t>(i + 1)));
    std::swap(p[i], p[j]);
  }
  return t;
}

}  // namespace ember
