// pickle: writes a Value as the protocol-2 pickle torch.save puts in data.pkl.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ember/core/value.h"
#include "ember/tensor/storage.h"

namespace ember::serialize {

// A storage the pickle refers to, to be written as the record data/<key>.
struct StorageRecord {
  std::string key;  // "0", "1", ... in order of first use
  std::shared_ptr<Storage> storage;
  Dtype dtype;
  std::size_t nbytes;  // the whole storage, as PyTorch writes it
};

// The pickle bytes and the storages they name.
struct Pickled {
  std::string bytes;
  std::vector<StorageRecord> storages;
};

// Writes the pickle PyTorch's torch.save would for the same objects, using only what
// torch.load(weights_only=True) accepts: the globals collections.OrderedDict,
// torch._utils._rebuild_tensor_v2 and torch.<Type>Storage; BUILD only for a state_dict's
// `_metadata`. Each tensor becomes _rebuild_tensor_v2((storage pid), offset, size, stride,
// requires_grad, OrderedDict()); tensors sharing a Storage name one record, so views stay
// views. Throws Error for a Value it cannot write (an undefined tensor, a string that is not
// UTF-8).
Pickled pickle(const Value& value);

}  // namespace ember::serialize
