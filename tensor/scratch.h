// Per-thread scratch buffers, kept between calls so that the training loop never allocates:
// Conv2d's col matrix and padded images, and the GEMM's packed blocks.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace ember::detail {

// Each slot is a separate buffer, because some are in use at the same time: Conv2d's col matrix
// with im2col's padded image or col2im's lane masks and tap rows, the direct kernels'
// output-shaped rows and the transposed weight gradient, and all of them with the GEMM's packed
// blocks of its two operands (tensor/gemm.cpp).
enum class Scratch {
  col,
  padded_image,
  col2im_masks,
  col2im_taps,
  direct_rows,
  weight_grad,
  packed_a,
  packed_b
};

// A buffer of at least `size` values for this thread and slot, aligned for Eigen's aligned
// packet loads. It stays valid until the same thread asks the same slot for more.
template <class T, Scratch Slot>
T* thread_scratch(std::int64_t size) {
  thread_local std::vector<T, Eigen::aligned_allocator<T>> buffer;
  if (static_cast<std::int64_t>(buffer.size()) < size) {
    buffer.resize(static_cast<std::size_t>(size));
  }
  return buffer.data();
}

}  // namespace ember::detail
