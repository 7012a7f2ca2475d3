// safetensors reading and writing with nlohmann::json for the header.
#include "ember/serialize/safetensors.h"

#include <algorithm>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "ember/serialize/atomic_file.h"
#include "ember/serialize/serialize_error.h"
#include "ember/serialize/torch_names.h"

namespace ember::serialize {

namespace {
using json = nlohmann::ordered_json;
constexpr std::uint64_t kMaxHeader = 100'000'000;  // the reference implementation's bound

std::uint64_t read_u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int k = 7; k >= 0; --k) v = (v << 8) | p[k];
  return v;
}

struct Slot {
  std::string name;
  Dtype dtype;
  Shape shape;
  std::uint64_t begin, end;
};

// Parses the header, refusing nesting deeper than the format has and duplicate names (which
// nlohmann::json would otherwise resolve silently).
json parse_header(const std::string& text, const std::string& path) {
  std::set<std::string> names;
  auto guard = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth > 3) throw SerializeError("load", path, "", "safetensors header nested too deeply");
    if (event == json::parse_event_t::key && depth == 1 && !names.insert(parsed.get<std::string>()).second) {
      throw SerializeError("load", path, parsed.get<std::string>(), "safetensors header names a tensor twice");
    }
    return true;
  };
  try {
    return json::parse(text, guard);
  } catch (const json::exception& e) {
    throw SerializeError("load", path, "", std::string("safetensors header is not valid JSON: ") + e.what());
  }
}

Slot parse_slot(const std::string& name, const json& info, const std::string& path) {
  auto fail = [&](const std::string& why) -> SerializeError { return SerializeError("load", path, name, why); };
  if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets")) {
    throw fail("header entry must be an object with dtype, shape and data_offsets");
  }
  const json& dtype = info["dtype"];
  const json& shape = info["shape"];
  const json& offsets = info["data_offsets"];
  Slot slot{name, kFloat32, {}, 0, 0};
  if (!dtype.is_string()) throw fail("dtype must be a string");
  if (!dtype_from_safetensors_name(dtype.get<std::string>(), &slot.dtype)) {
    throw fail("dtype " + dtype.get<std::string>() + " is not supported by ember");
  }
  if (!shape.is_array() || shape.size() > 64) throw fail("shape must be an array of at most 64 sizes");
  std::uint64_t numel = 1;
  bool overflow = false, has_zero = false;
  for (const json& size : shape) {
    if (!size.is_number_unsigned()) throw fail("shape entries must be non-negative integers");
    const std::uint64_t n = size.get<std::uint64_t>();
    if (n == 0) has_zero = true;
    else if (numel > (std::uint64_t{1} << 62) / n) overflow = true;
    if (!overflow) numel *= n;
    slot.shape.push_back(static_cast<std::int64_t>(n));
  }
  if (has_zero) numel = 0;
  else if (overflow) throw fail("shape " + shape.dump() + " is too large");
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned()) {
    throw fail("data_offsets must be [begin, end]");
  }
  slot.begin = offsets[0].get<std::uint64_t>();
  slot.end = offsets[1].get<std::uint64_t>();
  if (slot.end < slot.begin) throw fail("data_offsets end before they begin");
  const std::uint64_t element = element_size(slot.dtype);
  if (numel > (std::uint64_t{1} << 62) / element || slot.end - slot.begin != numel * element) {
    throw fail("data_offsets span " + std::to_string(slot.end - slot.begin) + " bytes, but shape " +
               shape.dump() + " of " + dtype.get<std::string>() + " needs " + std::to_string(numel * element));
  }
  return slot;
}
}  // namespace

bool looks_like_safetensors(const std::uint8_t* data, std::size_t size) {
  if (size < 9) return false;
  const std::uint64_t n = read_u64(data);
  return n <= kMaxHeader && n <= size - 8 && data[8] == '{';
}

Value load_safetensors(const std::shared_ptr<MappedFile>& file, std::map<std::string, std::string>* metadata) {
  const std::string& path = file->path();
  auto fail = [&](const std::string& why) -> SerializeError { return SerializeError("load", path, "", why); };
  if (file->size() < 8) throw fail("file too short for a safetensors header");
  const std::uint64_t n = read_u64(file->data());
  if (n > kMaxHeader) throw fail("safetensors header length " + std::to_string(n) + " exceeds 100000000");
  if (n > file->size() - 8) throw fail("safetensors header length " + std::to_string(n) + " runs past the end of the file");
  const json header = parse_header(std::string(reinterpret_cast<const char*>(file->data() + 8), n), path);
  if (!header.is_object()) throw fail("safetensors header must be a JSON object");
  std::vector<Slot> slots;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it.value().is_object()) throw fail("__metadata__ must be an object");
      for (auto m = it.value().begin(); m != it.value().end(); ++m) {
        if (!m.value().is_string()) throw SerializeError("load", path, m.key(), "__metadata__ values must be strings");
        if (metadata) (*metadata)[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    slots.push_back(parse_slot(it.key(), it.value(), path));
  }
  // The data buffer must be tiled exactly, in offset order.
  std::vector<const Slot*> order;
  for (const Slot& slot : slots) order.push_back(&slot);
  std::stable_sort(order.begin(), order.end(), [](const Slot* a, const Slot* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  std::uint64_t expected = 0;
  for (const Slot* slot : order) {
    if (slot->begin != expected) {
      throw SerializeError("load", path, slot->name, "data_offsets [" + std::to_string(slot->begin) + ", " +
                           std::to_string(slot->end) + ") leave a gap or overlap (expected to begin at " +
                           std::to_string(expected) + ")");
    }
    expected = slot->end;
  }
  const std::uint64_t buffer = 8 + n;
  if (expected != file->size() - buffer) {
    throw fail("data buffer is " + std::to_string(file->size() - buffer) + " bytes, the header describes " +
               std::to_string(expected) + " (truncated or padded file)");
  }
  std::vector<Key> keys;
  std::vector<Value> values;
  std::shared_ptr<MappedFile> keep = file;
  for (const Slot* slot : order) {
    std::uint8_t* data = file->mutable_data() + buffer + slot->begin;
    const std::size_t nbytes = static_cast<std::size_t>(slot->end - slot->begin);
    std::shared_ptr<Storage> storage;
    if (reinterpret_cast<std::uintptr_t>(data) % 64 == 0) {
      storage = std::make_shared<Storage>(data, nbytes, [keep](void*) {});
    } else {  // ember's storages are 64-byte aligned; safetensors only promises 8
      storage = std::make_shared<Storage>(nbytes, false);
      if (nbytes) std::memcpy(storage->data(), data, nbytes);
    }
    keys.emplace_back(slot->name);
    values.emplace_back(Tensor::from_storage(storage, slot->dtype, slot->shape, contiguous_strides(slot->shape), 0));
  }
  return Value::dict_from(std::move(keys), std::move(values));
}

void save_safetensors(const Value& tensors, const std::string& path,
                      const std::map<std::string, std::string>& metadata, const SaveOptions& options) {
  auto fail = [&](const std::string& entry, const std::string& why) -> SerializeError {
    return SerializeError("save", path, entry, why);
  };
  if (!tensors.is_dict()) throw fail("", std::string("safetensors holds a dict of tensors, found a ") + tensors.kind_name());
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<Tensor> data;
  std::uint64_t offset = 0;
  for (std::size_t k = 0; k < tensors.keys().size(); ++k) {
    const auto* name = std::get_if<std::string>(&tensors.keys()[k]);
    if (name == nullptr) throw fail(key_str(tensors.keys()[k]), "safetensors keys must be strings");
    if (*name == "__metadata__") throw fail(*name, "reserved name");
    const Value& v = tensors.values()[k];
    if (!v.is_tensor() || !v.as_tensor().defined()) throw fail(*name, std::string("not a tensor but a ") + v.kind_name());
    Tensor t = v.as_tensor().contiguous();
    header[*name] = {{"dtype", safetensors_dtype_name(t.dtype())},
                     {"shape", t.shape()},
                     {"data_offsets", {offset, offset + t.nbytes()}}};
    offset += t.nbytes();
    data.push_back(t);
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::uint8_t length[8];
  for (int k = 0; k < 8; ++k) length[k] = static_cast<std::uint8_t>((text.size() >> (8 * k)) & 0xFF);
  AtomicFile file(path);
  file.write_all(length, 8);
  file.write_all(text.data(), text.size());
  for (const Tensor& t : data) {
    if (t.nbytes()) file.write_all(t.raw_data(), t.nbytes());
  }
  file.commit(options.durable);
}

}  // namespace ember::serialize
