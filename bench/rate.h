// How fast a repeated computation runs, as the bench programs report it: the median and the
// best of many timed calls, in GFLOP/s. gemm_peak and its libtorch peer gemm_peak_libtorch both
// measure this way, so that their figures compare.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace ember::bench {

struct Rate {
  int calls = 0;
  double median_gflops = 0.0;  // what a long run sustains on a shared machine
  double best_gflops = 0.0;    // what an undisturbed call reaches
};

// Calls fn() once to warm up, then repeatedly for about `seconds` (at least 3 timed calls);
// each call does `flops` floating-point operations.
template <class Fn>
Rate measure_rate(double flops, double seconds, Fn&& fn) {
  using Clock = std::chrono::steady_clock;
  fn();
  std::vector<double> rates;
  const auto begin = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - begin).count(); };
  while (rates.size() < 3 || elapsed() < seconds) {
    const auto t0 = Clock::now();
    fn();
    rates.push_back(flops / std::chrono::duration<double>(Clock::now() - t0).count() / 1e9);
  }
  std::sort(rates.begin(), rates.end());
  return {static_cast<int>(rates.size()), rates[rates.size() / 2], rates.back()};
}

}  // namespace ember::bench
