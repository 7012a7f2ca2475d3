// StateDict: ordered key -> tensor storage and its conversion to and from Value.
#include "nn/state_dict.h"

#include <algorithm>

namespace ember::nn {

StateDict::StateDict(const Value& value) {
  check(value.is_dict(), "state_dict: expected a dict of name -> tensor, found ",
        value.kind_name());
  const auto& keys = value.keys();
  const auto& values = value.values();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto* name = std::get_if<std::string>(&keys[i]);
    check(name != nullptr, "state_dict: expected string keys, found the key ", key_str(keys[i]));
    check(values[i].is_tensor(), "state_dict: expected a tensor for key '", *name, "', found ",
          values[i].kind_name(), " (is this a checkpoint dict? pick its \"model_state_dict\")");
    items_.emplace_back(*name, values[i].as_tensor());
  }
}

StateDict::operator Value() const {
  Value out = Value::ordered_dict();
  for (const auto& [key, tensor] : items_) out.set(key, tensor);
  return out;
}

void StateDict::set(const std::string& key, Tensor value) {
  for (auto& item : items_) {
    if (item.first == key) {
      item.second = std::move(value);
      return;
    }
  }
  items_.emplace_back(key, std::move(value));
}

const Tensor* StateDict::find(const std::string& key) const {
  for (const auto& item : items_) {
    if (item.first == key) return &item.second;
  }
  return nullptr;
}

const Tensor& StateDict::at(const std::string& key) const {
  const Tensor* t = find(key);
  check(t != nullptr, "state_dict: no key '", key, "'");
  return *t;
}

bool StateDict::erase(const std::string& key) {
  auto it = std::find_if(items_.begin(), items_.end(),
                         [&](const Item& item) { return item.first == key; });
  if (it == items_.end()) return false;
  items_.erase(it);
  return true;
}

std::vector<std::string> StateDict::keys() const {
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& item : items_) out.push_back(item.first);
  return out;
}

}  // namespace ember::nn
