// The caching allocator and gradient stealing: memory is reused, never shared by mistake.
#include <doctest/doctest.h>

#include "ember/tensor/allocator.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"

using namespace ember;

TEST_CASE("allocator: a freed block is reused, and zeros() really is zero after reuse") {
  empty_cache();
  Tensor a = full({1 << 16}, 7.0);  // 256 KiB, above the caching threshold
  const void* block = a.raw_data();
  a = Tensor();
  const bool caching = cached_bytes() > 0;
  if (caching) {
    CHECK(cached_bytes() >= (std::size_t{1} << 18));
  } else {
    MESSAGE("caching is off in this build (sanitizers): only the zeroing is checked");
  }
  Tensor b = zeros({1 << 16});  // the same size: the cached block comes back
  if (caching) CHECK(b.raw_data() == block);
  CHECK(sum(b).item() == 0.0);
  CHECK(max(b).item() == 0.0);
  empty_cache();
  CHECK(cached_bytes() == 0);
}

TEST_CASE("allocator: a leaf's first gradient never aliases a tensor someone else holds") {
  Tensor x = randn({4, 3}).requires_grad_();
  Tensor g = ones({4, 3});
  (x * 1.0).backward(g);
  g.mul_(5.0);  // the caller's gradient tensor changes afterwards
  CHECK(equal(x.grad(), ones({4, 3})));

  // a + a hands the same gradient to both slots of one leaf: it must accumulate to 2.
  Tensor y = randn({5}).requires_grad_();
  (y + y).sum().backward();
  CHECK(equal(y.grad(), full({5}, 2.0)));

  // Two leaves fed by one AddBackward get separate gradient tensors.
  Tensor a = randn({3}).requires_grad_(), b = randn({3}).requires_grad_();
  (a + b).sum().backward();
  a.grad().add_(1.0);
  CHECK(equal(b.grad(), ones({3})));
}
