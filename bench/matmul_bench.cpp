// matmul_bench: ember's matmul next to a raw Eigen GEMM on the same float32 row-major data,
// for square sizes 256, 512, 1024 on 1 and 2 threads. ember's matmul runs its own GEMM
// (tensor/gemm.h), plus allocating the result and the autograd bookkeeping; on this project's
// AVX2 machine it is faster than Eigen's.
//
//   build-ops/bench/matmul_bench               # the table, timed by the wall clock
//   build-ops/bench/matmul_bench --cpu-clock   # on a loaded machine: process CPU time / threads
//   build-ops/bench/matmul_bench --help
#include <omp.h>
#include <time.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"

namespace {

using RowMajorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Seconds on the wall clock, or, with cpu_clock, CPU seconds of the whole process divided by
// the thread count: what the run would take on idle cores, when other jobs share the machine.
double now(bool cpu_clock) {
  timespec ts;
  clock_gettime(cpu_clock ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Runs each of the two functions alternately until both have had min_reps runs and
// min_seconds have passed; returns the best time of each. Alternating and taking the minimum
// keeps a noisy, shared machine from favouring either side.
template <class A, class B>
std::pair<double, double> best_times(A&& run_a, B&& run_b, int min_reps, double min_seconds,
                                     bool cpu_clock, int threads) {
  double best_a = 1e30, best_b = 1e30;
  const double scale = cpu_clock ? 1.0 / threads : 1.0;
  const double start = now(false);
  for (int rep = 0;; ++rep) {
    const double t0 = now(cpu_clock);
    run_a();
    const double t1 = now(cpu_clock);
    run_b();
    const double t2 = now(cpu_clock);
    best_a = std::min(best_a, (t1 - t0) * scale);
    best_b = std::min(best_b, (t2 - t1) * scale);
    if (rep + 1 >= min_reps && now(false) - start >= min_seconds) break;
  }
  return {best_a, best_b};
}

}  // namespace

int main(int argc, char** argv) {
  double min_seconds = 1.0;
  bool cpu_clock = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf("usage: matmul_bench [--quick] [--cpu-clock]\n"
                  "Prints ember::matmul GFLOP/s next to a raw Eigen GEMM (row-major float32,\n"
                  "C.noalias() = A * B) for n = 256, 512, 1024 and 1, 2 threads, with the ratio.\n"
                  "  --quick       time each case for 0.2 s instead of 1 s\n"
                  "  --cpu-clock   time by process CPU seconds / threads (for a loaded machine)\n");
      return 0;
    }
    if (std::strcmp(argv[i], "--quick") == 0) min_seconds = 0.2;
    if (std::strcmp(argv[i], "--cpu-clock") == 0) cpu_clock = true;
  }

  std::printf("%6s %8s %14s %14s %8s\n", "n", "threads", "ember GFLOP/s", "Eigen GFLOP/s",
              "ratio");
  double worst_ratio = 1e30;
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    Eigen::setNbThreads(threads);
    for (std::int64_t n : {256, 512, 1024}) {
      ember::manual_seed(0);
      const ember::Tensor a = ember::randn({n, n});
      const ember::Tensor b = ember::randn({n, n});
      // Eigen gets its own copies of the same numbers, in the same (row-major) order.
      const RowMajorMatrix ea = Eigen::Map<const RowMajorMatrix>(a.data_ptr<float>(), n, n);
      const RowMajorMatrix eb = Eigen::Map<const RowMajorMatrix>(b.data_ptr<float>(), n, n);
      RowMajorMatrix ec(n, n);
      ember::Tensor c;

      auto [ember_s, eigen_s] = best_times([&] { c = ember::matmul(a, b); },
                                           [&] { ec.noalias() = ea * eb; }, 3, min_seconds,
                                           cpu_clock, threads);
      // Both computed the same product.
      const float diff = (Eigen::Map<const RowMajorMatrix>(c.data_ptr<float>(), n, n) - ec)
                             .cwiseAbs()
                             .maxCoeff();
      if (diff > 1e-3f * static_cast<float>(n)) {
        std::printf("results differ by %g at n = %lld\n", static_cast<double>(diff),
                    static_cast<long long>(n));
        return 1;
      }
      const double flops = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
      const double ember_gflops = flops / ember_s / 1e9, eigen_gflops = flops / eigen_s / 1e9;
      const double ratio = ember_gflops / eigen_gflops;
      worst_ratio = std::min(worst_ratio, ratio);
      std::printf("%6lld %8d %14.1f %14.1f %7.1f%%\n", static_cast<long long>(n), threads,
                  ember_gflops, eigen_gflops, 100.0 * ratio);
    }
  }
  std::printf("lowest ratio: %.1f%% (target: at least 90%%)\n", 100.0 * worst_ratio);
  return 0;
}
