// Storage: aligned allocation, adoption of foreign memory, release.
#include "ember/tensor/storage.h"

#include <cstring>

#include "ember/tensor/allocator.h"
#include "ember/tensor/error.h"

namespace ember {

Storage::Storage(std::size_t nbytes, bool zeroed) : nbytes_(nbytes) {
  std::size_t capacity = 0;
  void* memory = detail::allocate_block(nbytes, &capacity);
  // A reused block holds old data: zero what was asked for (empty() skips this).
  if (zeroed) std::memset(memory, 0, nbytes);
  data_ = static_cast<std::byte*>(memory);
  deleter_ = [capacity](void* p) { detail::release_block(p, capacity); };
}

Storage::Storage(void* data, std::size_t nbytes, std::function<void(void*)> deleter)
    : data_(static_cast<std::byte*>(data)), nbytes_(nbytes), deleter_(std::move(deleter)) {}

Storage::~Storage() {
  if (deleter_) deleter_(data_);
}

}  // namespace ember
