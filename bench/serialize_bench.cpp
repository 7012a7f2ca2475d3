// Times ember::save / ember::load of a state_dict of 100 million float32 parameters (400 MB),
// the counterpart of bench/serialize_bench.py's torch.save / torch.load (which runs this and
// compares). Prints one JSON line.
//
//   serialize_bench [--params N] [--tensors K] [--dir DIR] [--repeat R] [--torch-file F]
//
// --torch-file also times ember loading the file PyTorch saved (the same bytes, other writer).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "ember/serialize/serialize.h"
#include "ember/tensor/factories.h"

using namespace ember;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Best of `repeat` runs of f, in seconds.
template <class F>
double best_of(int repeat, F&& f) {
  double best = 1e30;
  for (int r = 0; r < repeat; ++r) {
    auto start = Clock::now();
    f();
    const double s = seconds_since(start);
    best = s < best ? s : best;
  }
  return best;
}

// Every byte of every tensor is read, so a lazy loader could not look fast.
double checksum(const Value& state) {
  double sum = 0;
  for (const Value& v : state.values()) {
    const Tensor& t = v.as_tensor();
    const float* p = t.data_ptr<float>();
    float s = 0;
    for (std::int64_t i = 0; i < t.numel(); i += 1024) s += p[i];
    sum += s;
  }
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t params = 100'000'000;
  int tensors = 10, repeat = 3;
  std::string dir = ".", torch_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--params") params = std::atoll(argv[i + 1]);
    else if (flag == "--tensors") tensors = std::atoi(argv[i + 1]);
    else if (flag == "--dir") dir = argv[i + 1];
    else if (flag == "--repeat") repeat = std::atoi(argv[i + 1]);
    else if (flag == "--torch-file") torch_file = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: %s [--params N] [--tensors K] [--dir DIR] [--repeat R] [--torch-file F]\n", argv[0]);
      return 2;
    }
  }
  // A state_dict like a model's: K float32 tensors of N/K parameters each.
  Value state = Value::ordered_dict();
  for (int k = 0; k < tensors; ++k) {
    Tensor t = empty({params / tensors});
    float* p = t.data_ptr<float>();
    for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>((i * 7 + k) % 1000) * 1e-3f;
    state.set("layer" + std::to_string(k) + ".weight", t);
  }
  const double bytes = static_cast<double>(params / tensors * tensors) * 4;
  const std::string path = dir + "/ember_bench.pt";
  SaveOptions fast;
  fast.durable = false;
  const double save_s = best_of(repeat, [&] { save(state, path, fast); });
  const double save_durable_s = best_of(repeat, [&] { save(state, path); });
  double check = 0;
  const double load_s = best_of(repeat, [&] { check = checksum(load(path)); });
  double load_torch_s = 0;
  if (!torch_file.empty()) load_torch_s = best_of(repeat, [&] { check += checksum(load(torch_file)); });
  std::printf("{\"params\": %lld, \"bytes\": %.0f, \"save_s\": %.4f, \"save_durable_s\": %.4f, \"load_s\": %.4f, "
              "\"load_torch_file_s\": %.4f, \"checksum\": %.3f}\n",
              static_cast<long long>(params / tensors * tensors), bytes, save_s, save_durable_s, load_s, load_torch_s,
              check);
  std::remove(path.c_str());
  return 0;
}
