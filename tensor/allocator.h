// The caching allocator behind Storage: freed blocks are kept for reuse by size.
#pragma once

#include <cstddef>

namespace ember {

// A training step allocates the same tensor sizes every time. Handing each block back to
// malloc makes glibc unmap large ones, and the next step then faults in fresh zeroed pages
// (18% of a LeNet step when measured). Instead, a freed block of 32 KiB or more is kept in a
// free list for its exact (page-rounded) size and handed out again, as PyTorch's CUDA caching
// allocator does on GPUs. At most kMaxCachedBytes are kept; ASan builds cache nothing, so that
// the sanitizer sees every use after free.
namespace detail {
// 64-byte aligned block of at least nbytes; *capacity receives the size to release it with.
void* allocate_block(std::size_t nbytes, std::size_t* capacity);
void release_block(void* block, std::size_t capacity);
}  // namespace detail

// Returns every cached block to the system (torch.cuda.empty_cache's CPU counterpart).
void empty_cache();
// Bytes currently held in the cache, for tests and benchmarks.
std::size_t cached_bytes();

}  // namespace ember
