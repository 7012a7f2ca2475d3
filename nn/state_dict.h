// StateDict: the ordered name -> tensor map that Module::state_dict() returns.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ember/core/value.h"
#include "ember/tensor/tensor.h"

namespace ember::nn {

// Keys in registration order with PyTorch's dotted names ("conv1.weight"), like the
// OrderedDict PyTorch returns. Converts to and from ember::Value, so it can be saved inside a
// checkpoint dict and read back from one.
class StateDict {
 public:
  using Item = std::pair<std::string, Tensor>;

  StateDict() = default;
  // From a loaded Value: a dict whose keys are strings and whose values are tensors. Throws
  // Error naming the first entry that is not.
  StateDict(const Value& value);  // NOLINT: implicit, so load(path).at("model_state_dict") fits
  // An ordered dict Value (what torch.save writes as an OrderedDict).
  operator Value() const;  // NOLINT

  // Inserts at the end, or replaces the tensor of an existing key in place.
  void set(const std::string& key, Tensor value);
  bool contains(const std::string& key) const { return find(key) != nullptr; }
  const Tensor* find(const std::string& key) const;
  // Throws Error "state_dict: no key 'x'" when missing.
  const Tensor& at(const std::string& key) const;
  bool erase(const std::string& key);
  std::vector<std::string> keys() const;

  // PyTorch's `_metadata`: for each module prefix ("" for the root, "conv1", ...) the module's
  // version ({'version': n} in the file). torch.save writes it; load_state_dict in PyTorch
  // reads it to upgrade old formats (BatchNorm's version 2 added num_batches_tracked).
  void set_version(const std::string& prefix, std::int64_t version);
  const std::vector<std::pair<std::string, std::int64_t>>& versions() const { return versions_; }

  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  std::vector<Item>::const_iterator begin() const { return items_.begin(); }
  std::vector<Item>::const_iterator end() const { return items_.end(); }

 private:
  std::vector<Item> items_;
  std::vector<std::pair<std::string, std::int64_t>> versions_;
};

}  // namespace ember::nn
