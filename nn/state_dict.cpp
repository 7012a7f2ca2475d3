// StateDict: ordered key -> tensor storage and its conversion to and from Value.
#include "ember/nn/state_dict.h"

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
  const Value& metadata = value.metadata();
  if (!metadata.is_dict()) return;
  for (std::size_t i = 0; i < metadata.keys().size(); ++i) {
    const auto* prefix = std::get_if<std::string>(&metadata.keys()[i]);
    const Value& entry = metadata.values()[i];
    const Value* version = entry.is_dict() ? entry.find(Key(std::string("version"))) : nullptr;
    if (prefix && version && version->is_int()) versions_.emplace_back(*prefix, version->as_int());
  }
}

StateDict::operator Value() const {
  Value out = Value::ordered_dict();
  for (const auto& [key, tensor] : items_) out.set(key, tensor);
  if (!versions_.empty()) {
    Value metadata = Value::ordered_dict();
    for (const auto& [prefix, version] : versions_) metadata.set(prefix, Value{{"version", version}});
    out.set_metadata(std::move(metadata));
  }
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

void StateDict::set_version(const std::string& prefix, std::int64_t version) {
  for (auto& entry : versions_) {
    if (entry.first == prefix) {
      entry.second = version;
      return;
    }
  }
  versions_.emplace_back(prefix, version);
}

std::vector<std::string> StateDict::keys() const {
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& item : items_) out.push_back(item.first);
  return out;
}

}  // namespace ember::nn
