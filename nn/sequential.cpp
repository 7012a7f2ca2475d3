// Sequential: registration under "0", "1", ... and the chained forward.
#include "ember/nn/sequential.h"

namespace ember::nn {

Sequential::Sequential(const std::vector<std::shared_ptr<Module>>& modules) {
  for (const auto& module : modules) push_back(module);
}

void Sequential::push_back(std::shared_ptr<Module> module) {
  register_module(std::to_string(size()), std::move(module));
}

void Sequential::push_back(const std::string& name, std::shared_ptr<Module> module) {
  register_module(name, std::move(module));
}

std::shared_ptr<Module> Sequential::operator[](std::int64_t index) const {
  const auto n = static_cast<std::int64_t>(size());
  check(index >= -n && index < n, "Sequential: index ", index, " is out of range (size ", n, ")");
  return children()[static_cast<std::size_t>(index < 0 ? index + n : index)];
}

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (const auto& module : children()) x = module->forward(x);
  return x;
}

}  // namespace ember::nn
