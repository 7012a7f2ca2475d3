// Generator: the seeded source of every random number ember draws.
#pragma once

#include <cstdint>
#include <random>

namespace ember {

class Tensor;

// A Mersenne Twister (mt19937, the engine PyTorch's CPU generator uses) with PyTorch's
// manual_seed / get_state / set_state. The whole state, including a cached second normal
// sample, can be read out and restored, so a resumed run draws exactly the numbers an
// uninterrupted one would have drawn. The stream differs from PyTorch's: only the API matches.
class Generator {
 public:
  explicit Generator(std::uint64_t seed = 5489);
  void manual_seed(std::uint64_t seed);
  std::uint64_t initial_seed() const { return seed_; }

  std::uint32_t next_u32() { return engine_(); }
  std::uint64_t next_u64();
  // Uniform in [0, 1): 24 random bits for float, 53 for double.
  float uniform_float();
  double uniform_double();
  // Standard normal by Box-Muller; the second value of each pair is cached.
  double normal();
  // Uniform integer in [0, n), without modulo bias.
  std::uint64_t random_below(std::uint64_t n);

  // The complete state as a uint8 tensor (torch.Generator.get_state() returns one too).
  Tensor get_state() const;
  // Restores a state from get_state(); throws Error if the tensor is not one.
  void set_state(const Tensor& state);

 private:
  std::mt19937 engine_;
  std::uint64_t seed_;
  bool has_cached_normal_ = false;
  double cached_normal_ = 0.0;
};

// The process-wide default generator (torch.default_generator).
Generator& default_generator();
// torch.manual_seed: reseeds the default generator.
void manual_seed(std::uint64_t seed);

}  // namespace ember
