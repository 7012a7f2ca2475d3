// Functions that make new tensors: constants, ranges, from C++ data, random.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "ember/tensor/generator.h"
#include "ember/tensor/tensor.h"

namespace ember {

Tensor empty(const Shape& shape, Dtype dtype = kFloat32);  // uninitialised
Tensor zeros(const Shape& shape, Dtype dtype = kFloat32);
Tensor ones(const Shape& shape, Dtype dtype = kFloat32);
Tensor full(const Shape& shape, double value, Dtype dtype = kFloat32);
Tensor zeros_like(const Tensor& like);
Tensor ones_like(const Tensor& like);
Tensor empty_like(const Tensor& like);
// [start, end) with step, as torch.arange; int64 unless dtype says otherwise.
Tensor arange(double end, Dtype dtype = kInt64);
Tensor arange(double start, double end, double step = 1.0, Dtype dtype = kInt64);
// A 0-d tensor.
Tensor scalar_tensor(double value, Dtype dtype = kFloat32);

// From C++ values; shape defaults to 1-D. The values are converted to dtype.
Tensor tensor(const std::vector<double>& values, const Shape& shape = {}, Dtype dtype = kFloat32);
Tensor tensor(std::initializer_list<double> values, Dtype dtype = kFloat32);
Tensor tensor_int64(const std::vector<std::int64_t>& values, const Shape& shape = {});
// Copies raw little-endian bytes (a file's) into a new contiguous tensor.
Tensor from_bytes(const void* data, Dtype dtype, const Shape& shape);

// Random tensors; generator defaults to default_generator().
Tensor rand(const Shape& shape, Dtype dtype = kFloat32, Generator* generator = nullptr);
Tensor randn(const Shape& shape, Dtype dtype = kFloat32, Generator* generator = nullptr);
// Integers uniform in [low, high).
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape,
               Generator* generator = nullptr);
// A random permutation of 0..n-1 (int64).
Tensor randperm(std::int64_t n, Generator* generator = nullptr);

}  // namespace ember
