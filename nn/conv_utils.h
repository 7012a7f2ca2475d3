// The 2-D window arguments shared by Conv2d and the pooling layers: Pair (PyTorch's `5` or
// `(5, 3)`), and the output-size formulas of convolution and pooling.
#pragma once

#include <cstdint>
#include <string>

#include "ember/tensor/error.h"

namespace ember::nn {

// A (height, width) argument that also accepts a single int, as PyTorch's kernel_size=5 means
// (5, 5). It remembers which form it was given in, because the pooling modules print it back
// as given ("kernel_size=2" but "kernel_size=(2, 3)"), while Conv2d always prints the tuple.
struct Pair {
  Pair(std::int64_t both) : h(both), w(both), single(true) {}  // NOLINT: implicit on purpose
  Pair(std::int64_t height, std::int64_t width) : h(height), w(width), single(false) {}

  // "2" if given as one int, else "(2, 3)": Python's str of the argument.
  std::string str() const { return single ? std::to_string(h) : tuple_str(); }
  // Always "(2, 2)", as torch's _pair() stores it; also how a Pair streams, so that a check can
  // take one as a message part (formatted only on failure).
  std::string tuple_str() const { return ember::str(*this); }
  friend std::ostream& operator<<(std::ostream& out, const Pair& p) {
    return out << "(" << p.h << ", " << p.w << ")";
  }
  bool operator==(const Pair& other) const { return h == other.h && w == other.w; }
  bool operator!=(const Pair& other) const { return !(*this == other); }

  std::int64_t h;
  std::int64_t w;
  bool single;
};

// Output length of a convolution along one dim:
//   floor((in + 2 padding - dilation (kernel - 1) - 1) / stride) + 1
// (may be <= 0 when the dilated kernel does not fit; callers check).
inline std::int64_t conv_output_size(std::int64_t in, std::int64_t kernel, std::int64_t stride,
                                     std::int64_t padding, std::int64_t dilation) {
  const std::int64_t span = in + 2 * padding - dilation * (kernel - 1) - 1;
  if (span < 0) return 0;
  return span / stride + 1;
}

// Output length of max/avg pooling along one dim, PyTorch's pooling_output_shape: as the
// convolution's, rounded up instead of down with ceil_mode, except that the last window must
// start inside the input or the left padding (a window lying wholly in the right padding is
// dropped).
inline std::int64_t pool_output_size(std::int64_t in, std::int64_t kernel, std::int64_t stride,
                                     std::int64_t padding, std::int64_t dilation, bool ceil_mode) {
  const std::int64_t span = in + 2 * padding - dilation * (kernel - 1) - 1 +
                           (ceil_mode ? stride - 1 : 0);
  // Division rounding towards minus infinity, as PyTorch's div_rtn: a kernel larger than the
  // input still gives one window in ceil_mode.
  std::int64_t out = (span >= 0 ? span / stride : -((-span + stride - 1) / stride)) + 1;
  if (ceil_mode && (out - 1) * stride >= in + padding) --out;
  return out;
}

}  // namespace ember::nn
