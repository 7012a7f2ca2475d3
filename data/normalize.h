// Normalize: the transform (x - mean) / std per channel, as torchvision.transforms.Normalize.
#pragma once

#include <cstdint>
#include <vector>

#include "ember/tensor/tensor.h"

namespace ember::data {

// Fashion-MNIST's pixel mean and standard deviation after scaling to [0, 1], the values
// PyTorch tutorials pass to transforms.Normalize((0.2860,), (0.3530,)). load_mnist uses them
// by default, so a checkpoint trained here is evaluated the same way in Python.
inline constexpr double kFashionMnistMean = 0.2860;
inline constexpr double kFashionMnistStd = 0.3530;

// CIFAR-10's per-channel (R, G, B) mean and standard deviation in [0, 1].
inline constexpr double kCifar10Mean[3] = {0.4914, 0.4822, 0.4465};
inline constexpr double kCifar10Std[3] = {0.2470, 0.2435, 0.2616};

struct Normalize {
  // One mean and std for all channels, or one per channel (mean.size() == stddev.size()).
  // Checks that every std is positive.
  Normalize(double mean, double stddev);
  Normalize(std::vector<double> mean, std::vector<double> stddev);

  // images: (N,C,H,W) or (C,H,W) float32, normalized in place and returned.
  // The arithmetic is torchvision's: float32 mean and std, x.sub_(mean).div_(std), so the
  // normalized pixels are bit-identical to PyTorch's.
  Tensor apply_(Tensor images) const;

  std::vector<double> mean;
  std::vector<double> stddev;
};

// The default transform of load_mnist.
inline Normalize fashion_mnist_normalize() { return Normalize(kFashionMnistMean, kFashionMnistStd); }
inline Normalize cifar10_normalize() {
  return Normalize({kCifar10Mean[0], kCifar10Mean[1], kCifar10Mean[2]},
                   {kCifar10Std[0], kCifar10Std[1], kCifar10Std[2]});
}

}  // namespace ember::data
