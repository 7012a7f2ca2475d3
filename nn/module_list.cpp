// ModuleList: registration under "0", "1", ... and indexing.
#include "ember/nn/module_list.h"

namespace ember::nn {

ModuleList::ModuleList(const std::vector<std::shared_ptr<Module>>& modules) { extend(modules); }

void ModuleList::push_back(std::shared_ptr<Module> module) {
  register_module(std::to_string(size()), std::move(module));
}

void ModuleList::extend(const std::vector<std::shared_ptr<Module>>& modules) {
  for (const auto& module : modules) push_back(module);
}

std::shared_ptr<Module> ModuleList::operator[](std::int64_t index) const {
  const auto n = static_cast<std::int64_t>(size());
  check(index >= -n && index < n, "ModuleList: index ", index, " is out of range (size ", n, ")");
  return children()[static_cast<std::size_t>(index < 0 ? index + n : index)];
}

}  // namespace ember::nn
