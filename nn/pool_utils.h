// What max_pool2d and avg_pool2d share: checking their window arguments against the input,
// the resulting geometry, and a loop over the independent (H, W) planes of a batch.
#pragma once

#include <cstdint>

#include "ember/nn/conv_utils.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/tensor.h"

namespace ember::nn::detail {

// A pooling of `planes` independent (H, W) images (N C of them) into (Ho, Wo) each.
struct PoolGeometry {
  std::int64_t planes, height, width;
  std::int64_t kernel_h, kernel_w;
  std::int64_t stride_h, stride_w;
  std::int64_t pad_h, pad_w;
  std::int64_t dilation_h, dilation_w;
  std::int64_t out_h, out_w;

  std::int64_t in_plane() const { return height * width; }
  std::int64_t out_plane() const { return out_h * out_w; }
};

// Checks a 4-D float input (N, C, H, W) and the window as PyTorch does (positive kernel, stride
// and dilation; padding at most half the kernel; at least one output), and returns the
// geometry with PyTorch's output size (ceil_mode included). op names the function in errors.
PoolGeometry check_pool2d(const char* op, const Tensor& input, Pair kernel_size, Pair stride,
                          Pair padding, Pair dilation, bool ceil_mode);

// Runs fn(plane) for every plane, in parallel when the whole job is large enough to pay for
// an OpenMP team. Planes are independent, so the result never depends on the thread count.
template <class Fn>
void for_each_plane(std::int64_t planes, std::int64_t work_per_plane, Fn&& fn) {
  const bool parallel = planes > 1 && planes * work_per_plane >= ember::detail::kParallelGrain;
#pragma omp parallel for schedule(static) if (parallel)
  for (std::int64_t p = 0; p < planes; ++p) fn(p);
}

}  // namespace ember::nn::detail
