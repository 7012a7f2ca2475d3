// Normalize: per-channel (x - mean) / std in float32.
#include "ember/data/normalize.h"

#include <utility>

namespace ember::data {

Normalize::Normalize(double one_mean, double one_stddev)
    : Normalize(std::vector<double>{one_mean}, std::vector<double>{one_stddev}) {}

Normalize::Normalize(std::vector<double> means, std::vector<double> stddevs)
    : mean(std::move(means)), stddev(std::move(stddevs)) {
  check(!mean.empty() && mean.size() == stddev.size(),
        "Normalize: expected as many means as standard deviations (at least one), found ",
        mean.size(), " and ", stddev.size());
  for (std::size_t c = 0; c < stddev.size(); ++c) {
    check(stddev[c] > 0, "Normalize: std must be positive, found ", stddev[c], " for channel ", c);
  }
}

Tensor Normalize::apply_(Tensor images) const {
  check(images.dtype() == kFloat32 && (images.dim() == 3 || images.dim() == 4) &&
            images.is_contiguous(),
        "Normalize: expected a contiguous float32 tensor (N,C,H,W) or (C,H,W), found shape ",
        shape_str(images.shape()), " and dtype ", dtype_name(images.dtype()));
  const std::int64_t channels = images.size(-3);
  check(mean.size() == 1 || static_cast<std::int64_t>(mean.size()) == channels,
        "Normalize: images have ", channels, " channels but the transform has ", mean.size(),
        " means (expected 1 or ", channels, ")");
  // x (N,C,H,W): each (n, c) plane is `plane` contiguous floats.
  const std::int64_t plane = images.size(-1) * images.size(-2);
  const std::int64_t planes = images.numel() / plane;
  float* x = images.data_ptr<float>();
  for (std::int64_t p = 0; p < planes; ++p) {
    const std::size_t c = mean.size() == 1 ? 0 : static_cast<std::size_t>(p % channels);
    const auto m = static_cast<float>(mean[c]);
    const auto s = static_cast<float>(stddev[c]);
    float* row = x + p * plane;
    for (std::int64_t i = 0; i < plane; ++i) row[i] = (row[i] - m) / s;
  }
  return images;
}

}  // namespace ember::data
