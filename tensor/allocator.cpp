// The caching allocator: exact-size free lists under one mutex.
#include "ember/tensor/allocator.h"

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "ember/tensor/error.h"

namespace ember {

namespace {

constexpr std::size_t kAlignment = 64;  // a cache line, and enough for any SIMD load
constexpr std::size_t kMinCached = 32 * 1024;  // smaller blocks: malloc's own bins do well
constexpr std::size_t kPage = 4096;
constexpr std::size_t kMaxCachedBytes = std::size_t{512} << 20;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCaching = false;
#else
constexpr bool kCaching = true;
#endif

struct Cache {
  std::mutex mutex;
  std::unordered_map<std::size_t, std::vector<void*>> free_blocks;  // capacity -> blocks
  std::size_t bytes = 0;
};

Cache& cache() {
  static Cache* instance = new Cache();  // never destroyed: tensors may outlive static dtors
  return *instance;
}

}  // namespace

namespace detail {

void* allocate_block(std::size_t nbytes, std::size_t* capacity) {
  // aligned_alloc wants a size that is a multiple of the alignment; never ask for zero bytes.
  std::size_t rounded = (nbytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0) rounded = kAlignment;
  if (kCaching && rounded >= kMinCached) {
    rounded = (rounded + kPage - 1) / kPage * kPage;
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free_blocks.find(rounded);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* block = it->second.back();
      it->second.pop_back();
      c.bytes -= rounded;
      *capacity = rounded;
      return block;
    }
  }
  void* block = std::aligned_alloc(kAlignment, rounded);
  if (block == nullptr) throw Error(str("Storage: out of memory allocating ", nbytes, " bytes"));
  *capacity = rounded;
  return block;
}

void release_block(void* block, std::size_t capacity) {
  if (kCaching && capacity >= kMinCached) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.bytes + capacity <= kMaxCachedBytes) {
      c.free_blocks[capacity].push_back(block);
      c.bytes += capacity;
      return;
    }
  }
  std::free(block);
}

}  // namespace detail

void empty_cache() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [capacity, blocks] : c.free_blocks) {
    for (void* block : blocks) std::free(block);
  }
  c.free_blocks.clear();
  c.bytes = 0;
}

std::size_t cached_bytes() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.bytes;
}

}  // namespace ember
