// Storage: the reference-counted byte buffer behind one or more tensors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace ember {

// A flat, 64-byte aligned block of bytes. Tensors that are views of each other share one
// Storage through a std::shared_ptr, exactly as PyTorch's tensors share a StorageImpl.
//
// The storage also carries the version counter PyTorch keeps per tensor-and-its-views: every
// in-place write bumps it, and autograd compares it with the value recorded when a tensor was
// saved for backward ("a variable needed for gradient computation has been modified by an
// inplace operation").
class Storage {
 public:
  // nbytes of memory, zero-initialised unless zeroed is false (torch.empty's case).
  explicit Storage(std::size_t nbytes, bool zeroed = true);
  // Adopts memory owned elsewhere (an mmap'ed file, say); deleter runs when the last tensor
  // referring to it goes away.
  Storage(void* data, std::size_t nbytes, std::function<void(void*)> deleter);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  std::byte* data() { return data_; }
  const std::byte* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }

  std::uint64_t version() const { return version_; }
  void bump_version() { ++version_; }

 private:
  std::byte* data_ = nullptr;
  std::size_t nbytes_ = 0;
  std::function<void(void*)> deleter_;
  std::uint64_t version_ = 0;
};

}  // namespace ember
