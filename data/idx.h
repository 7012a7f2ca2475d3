// Readers for the IDX format of MNIST and Fashion-MNIST, and load_mnist.
//
// An IDX file is a 4-byte magic number 0x0000TTNN (TT = 0x08 for unsigned bytes, NN = number
// of dimensions), NN big-endian uint32 sizes, then the data in row-major order:
//   labels  magic 0x00000801, (N)       one byte per label
//   images  magic 0x00000803, (N,H,W)   one byte per pixel, 0 = background
// See http://yann.lecun.com/exdb/mnist/ and https://github.com/zalandoresearch/fashion-mnist.
#pragma once

#include <optional>
#include <string>

#include "ember/data/dataset.h"
#include "ember/data/normalize.h"

namespace ember::data {

// Reads an IDX file of unsigned bytes with `ndim` dimensions (gzipped or plain) into a uint8
// tensor of the file's shape. `what` names the data in messages ("pixels", "labels").
// Throws Error naming the file on a bad magic number, a truncated header or data, or bytes
// left over: "train-images-idx3-ubyte.gz: truncated: expected 47040000 bytes of pixels,
// found 1000".
Tensor read_idx(const std::string& path, int ndim, const char* what);

// The path of one of the four MNIST files in dir: train-images-idx3-ubyte, t10k-labels-idx1-
// ubyte, ... with ".gz" when only the gzipped file is there. Throws Error naming both names
// when neither exists.
std::string find_mnist_file(const std::string& dir, bool train, bool images);

// The MNIST or Fashion-MNIST training (60000) or test (10000) set from the IDX files in dir:
// inputs (N,1,28,28) float32, pixels scaled to [0, 1] as torchvision's ToTensor does, then
// normalized (Fashion-MNIST's mean and std by default; std::nullopt keeps [0, 1]);
// targets (N) int64 class indices. Throws Error naming the file that is missing or damaged,
// or both files when the image and label counts differ.
TensorDataset load_mnist(const std::string& dir, bool train,
                         std::optional<Normalize> normalize = fashion_mnist_normalize());

}  // namespace ember::data
