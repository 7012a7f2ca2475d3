// Generator: seeding, uniform and normal draws, and exact state save/restore.
#include "ember/tensor/generator.h"

#include <cmath>
#include <cstring>
#include <sstream>

#include "ember/tensor/factories.h"

namespace ember {

Generator::Generator(std::uint64_t seed) { manual_seed(seed); }

void Generator::manual_seed(std::uint64_t seed) {
  seed_ = seed;
  // mt19937 takes a 32-bit seed; fold a 64-bit seed in through a seed_seq so every bit counts.
  std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)};
  engine_.seed(seq);
  has_cached_normal_ = false;
  cached_normal_ = 0.0;
}

std::uint64_t Generator::next_u64() {
  const std::uint64_t hi = engine_();
  return (hi << 32) | engine_();
}

float Generator::uniform_float() {
  return static_cast<float>(engine_() >> 8) * (1.0f / 16777216.0f);  // 24 bits / 2^24
}

double Generator::uniform_double() {
  return static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0);  // 53 bits / 2^53
}

double Generator::normal() {
  if (has_cached_normal_) {
    has_cached_normal_ = false;
    return cached_normal_;
  }
  // Box-Muller: two uniforms give two independent standard normals.
  const double u1 = 1.0 - uniform_double();  // in (0, 1], so log is finite
  const double u2 = uniform_double();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double theta = 2.0 * M_PI * u2;
  cached_normal_ = radius * std::sin(theta);
  has_cached_normal_ = true;
  return radius * std::cos(theta);
}

std::uint64_t Generator::random_below(std::uint64_t n) {
  check(n > 0, "random_below: n must be positive");
  // Rejection sampling: discard the top partial range so every value is equally likely.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t x;
  do {
    x = next_u64();
  } while (x >= limit);
  return x % n;
}

namespace {
constexpr const char* kStateMagic = "ember-mt19937-v1";
}

Tensor Generator::get_state() const {
  // Text form: the standard library defines mt19937's textual state exactly; the cached
  // normal is written as its bit pattern so it round-trips exactly.
  std::uint64_t cached_bits;
  std::memcpy(&cached_bits, &cached_normal_, 8);
  std::ostringstream out;
  out << kStateMagic << ' ' << seed_ << ' ' << has_cached_normal_ << ' ' << cached_bits << ' '
      << engine_;
  const std::string text = out.str();
  return from_bytes(text.data(), kUInt8, {static_cast<std::int64_t>(text.size())});
}

void Generator::set_state(const Tensor& state) {
  check(state.defined() && state.dtype() == kUInt8 && state.dim() == 1,
        "Generator::set_state: expected a 1-D uint8 tensor from get_state()");
  Tensor c = state.contiguous();
  std::string text(static_cast<const char*>(c.raw_data()), static_cast<std::size_t>(c.numel()));
  std::istringstream in(text);
  std::string magic;
  std::uint64_t seed = 0, cached_bits = 0;
  bool has_cached = false;
  std::mt19937 engine;
  in >> magic >> seed >> has_cached >> cached_bits >> engine;
  check(!in.fail() && magic == kStateMagic,
        "Generator::set_state: the tensor does not hold a generator state (expected one made by "
        "Generator::get_state)");
  engine_ = engine;
  seed_ = seed;
  has_cached_normal_ = has_cached;
  std::memcpy(&cached_normal_, &cached_bits, 8);
}

Generator& default_generator() {
  static Generator generator(67280421310721ULL);  // PyTorch's default seed
  return generator;
}

void manual_seed(std::uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace ember
