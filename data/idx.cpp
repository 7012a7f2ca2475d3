// IDX parsing (big-endian header, byte payload) and the MNIST dataset built from two files.
#include "ember/data/idx.h"

#include <cstdio>
#include <cstring>

#include "ember/data/file_bytes.h"
#include "ember/tensor/factories.h"

namespace ember::data {

namespace {

std::uint32_t read_big_endian_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

std::string hex32(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

}  // namespace

Tensor read_idx(const std::string& path, int ndim, const char* what) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  const std::size_t header_bytes = 4 + 4 * static_cast<std::size_t>(ndim);
  check(bytes.size() >= 4, path, ": truncated: expected an IDX header of ", header_bytes,
        " bytes, found ", bytes.size());
  const std::uint32_t expected_magic = 0x00000800u | static_cast<std::uint32_t>(ndim);
  const std::uint32_t magic = read_big_endian_u32(bytes.data());
  check(magic == expected_magic, path, ": not an IDX file of ", what, ": expected magic number ",
        hex32(expected_magic), " (unsigned bytes, ", ndim, " dimension", ndim == 1 ? "" : "s",
        "), found ", hex32(magic));
  check(bytes.size() >= header_bytes, path, ": truncated: expected an IDX header of ",
        header_bytes, " bytes, found ", bytes.size());

  Shape shape;
  std::uint64_t count = 1;
  for (int d = 0; d < ndim; ++d) {
    shape.push_back(read_big_endian_u32(bytes.data() + 4 + 4 * d));
    count *= static_cast<std::uint64_t>(shape.back());
    if (count > (std::uint64_t{1} << 40)) break;  // no real file is this large; avoids overflow
  }
  const std::uint64_t found = bytes.size() - header_bytes;
  check(found >= count, path, ": truncated: expected ", count, " bytes of ", what, ", found ",
        found);
  check(found == count, path, ": expected ", count, " bytes of ", what, ", found ", found, " (",
        found - count, " bytes too many)");
  return from_bytes(bytes.data() + header_bytes, kUInt8, shape);
}

std::string find_mnist_file(const std::string& dir, bool train, bool images) {
  const std::string name = std::string(train ? "train" : "t10k") +
                           (images ? "-images-idx3-ubyte" : "-labels-idx1-ubyte");
  const std::string plain = join_path(dir, name);
  const std::string found = first_existing_file({plain, plain + ".gz"});
  check(!found.empty(), plain, ".gz: not found (nor ", plain,
        "); expected the four MNIST/Fashion-MNIST IDX files in ", dir);
  return found;
}

TensorDataset load_mnist(const std::string& dir, bool train, std::optional<Normalize> normalize) {
  const std::string images_path = find_mnist_file(dir, train, /*images=*/true);
  const std::string labels_path = find_mnist_file(dir, train, /*images=*/false);
  const Tensor pixels = read_idx(images_path, 3, "pixels");  // (N,H,W) uint8
  const Tensor labels = read_idx(labels_path, 1, "labels");  // (N) uint8
  check(pixels.size(0) == labels.size(0), "load_mnist: ", images_path, " has ", pixels.size(0),
        " images but ", labels_path, " has ", labels.size(0), " labels");

  // ToTensor: (N,H,W) bytes -> (N,1,H,W) float32 in [0, 1], divided in float32 like PyTorch.
  const std::int64_t n = pixels.size(0);
  Tensor inputs = empty({n, 1, pixels.size(1), pixels.size(2)}, kFloat32);
  const auto* src = pixels.data_ptr<std::uint8_t>();
  float* dst = inputs.data_ptr<float>();
  const std::int64_t count = inputs.numel();
  for (std::int64_t i = 0; i < count; ++i) dst[i] = static_cast<float>(src[i]) / 255.0f;
  if (normalize) normalize->apply_(inputs);
  return TensorDataset(inputs, labels.to(kInt64));
}

}  // namespace ember::data
