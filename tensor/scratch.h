// Per-thread scratch buffers, kept between calls so that the training loop never allocates. Each
// kernel names its own buffers with tag types it declares (struct PackedA;), so buffers that are
// in use at the same time, such as Conv2d's col matrix and the GEMM's packed blocks, are apart.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace ember::detail {

// A buffer of at least `size` values for this thread and Tag, aligned for Eigen's aligned packet
// loads. It stays valid until the same thread asks the same Tag for more.
template <class T, class Tag>
T* thread_scratch(std::int64_t size) {
  thread_local std::vector<T, Eigen::aligned_allocator<T>> buffer;
  if (static_cast<std::int64_t>(buffer.size()) < size) {
    buffer.resize(static_cast<std::size_t>(size));
  }
  return buffer.data();
}

}  // namespace ember::detail
