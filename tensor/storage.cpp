// Storage: aligned allocation, adoption of foreign memory, release.
#include "tensor/storage.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "tensor/error.h"

namespace ember {

namespace {
constexpr std::size_t kAlignment = 64;  // a cache line, and enough for any SIMD load
}

Storage::Storage(std::size_t nbytes, bool zeroed) : nbytes_(nbytes) {
  // aligned_alloc wants a size that is a multiple of the alignment; never ask for zero bytes.
  std::size_t rounded = (nbytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0) rounded = kAlignment;
  void* memory = std::aligned_alloc(kAlignment, rounded);
  if (memory == nullptr) throw Error(str("Storage: out of memory allocating ", nbytes, " bytes"));
  if (zeroed) std::memset(memory, 0, rounded);
  data_ = static_cast<std::byte*>(memory);
  deleter_ = [](void* p) { std::free(p); };
}

Storage::Storage(void* data, std::size_t nbytes, std::function<void(void*)> deleter)
    : data_(static_cast<std::byte*>(data)), nbytes_(nbytes), deleter_(std::move(deleter)) {}

Storage::~Storage() {
  if (deleter_) deleter_(data_);
}

}  // namespace ember
