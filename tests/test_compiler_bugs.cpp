// Compiler bugs that once changed ember's results, run with the flags the suite is built with: a
// build that lacks the workaround fails here, and not only in whichever test the bug hit first.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "ember/ember.h"

// Keeps the compiler from seeing through the call, so that the constant is built inside it.
#if defined(__GNUC__) && !defined(__clang__)
#define EMBER_OPAQUE __attribute__((noipa))
#else
#define EMBER_OPAQUE __attribute__((noinline))
#endif

namespace {

EMBER_OPAQUE void copy_2200(std::int64_t* out) {
  const std::int64_t value[4] = {2, 2, 0, 0};
  std::memcpy(out, value, sizeof value);
}
EMBER_OPAQUE void copy_3330(std::int64_t* out) {
  const std::int64_t value[4] = {3, 3, 3, 0};
  std::memcpy(out, value, sizeof value);
}
EMBER_OPAQUE void copy_77000000(std::int64_t* out) {
  const std::int64_t value[8] = {7, 7, 0, 0, 0, 0, 0, 0};
  std::memcpy(out, value, sizeof value);
}
// The pattern the bug first hit: a tensor index from an initializer list, as at({2, 2, 0, 0}).
EMBER_OPAQUE std::vector<std::int64_t> index_2200() { return {2, 2, 0, 0}; }

// The values as text. Expected values must not be integer arrays themselves: a miscompiled
// std::vector<std::int64_t>{2, 2, 0, 0} on the expected side would equal the wrong result.
std::string words(const std::int64_t* begin, std::size_t count) {
  std::ostringstream out;
  for (std::size_t i = 0; i < count; ++i) out << (i ? " " : "") << begin[i];
  return out.str();
}

}  // namespace

// GCC 12 with AVX-512F stored these as broadcasts of their first word ({2, 2, 2, 2}); see
// cmake/wide_constant_broadcast.cpp and cmake/compiler_workarounds.cmake.
TEST_CASE("compiler: 32- and 64-byte integer constants are copied as written") {
  std::int64_t out[8] = {};
  copy_2200(out);
  CHECK(words(out, 4) == "2 2 0 0");
  copy_3330(out);
  CHECK(words(out, 4) == "3 3 3 0");
  copy_77000000(out);
  CHECK(words(out, 8) == "7 7 0 0 0 0 0 0");
  const std::vector<std::int64_t> index = index_2200();
  CHECK(words(index.data(), index.size()) == "2 2 0 0");

  // Through ember: element (2, 2, 0, 0) of a tensor whose values are their own flat index.
  const ember::Tensor t = ember::arange(3 * 3 * 3 * 3).reshape({3, 3, 3, 3});
  CHECK(t.at({2, 2, 0, 0}) == 2 * 27 + 2 * 9);
}
