// .pt files: zip records in and out, storages shared with the mapping; legacy files handed on
// to legacy_format.cpp. Reference: torch/serialization.py (_save, _load) and
// caffe2/serialize/inline_container.cc (PyTorchStreamWriter/Reader).
#include "ember/serialize/pt_format.h"

#include <cstring>
#include <unordered_map>

#include "ember/serialize/atomic_file.h"
#include "ember/serialize/legacy_format.h"
#include "ember/serialize/pickle_reader.h"
#include "ember/serialize/pickle_writer.h"
#include "ember/serialize/serialize_error.h"
#include "ember/serialize/torchscript.h"
#include "ember/serialize/zip_reader.h"
#include "ember/serialize/zip_writer.h"

namespace ember::serialize {

namespace {

// PyTorch names the archive's folder after the file: basename without its extension.
std::string archive_name(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  auto dot = base.find_last_of('.');
  if (dot != std::string::npos) base = base.substr(0, dot);
  return base.empty() ? "archive" : base;
}

}  // namespace

void save_pt(const Value& value, const std::string& path, const SaveOptions& options) {
  Pickled pickled;
  try {
    pickled = pickle(value);
  } catch (const SerializeError&) {
    throw;
  } catch (const Error& e) {
    throw SerializeError("save", path, "", e.what());
  }
  AtomicFile file(path);
  ZipWriter zip([&file](const void* data, std::size_t size) { file.write_all(data, size); },
                options.force_zip64);
  const std::string prefix = archive_name(path) + "/";
  zip.add(prefix + "data.pkl", pickled.bytes.data(), pickled.bytes.size());
  zip.add(prefix + "byteorder", "little", 6);
  for (const StorageRecord& record : pickled.storages) {
    zip.add(prefix + "data/" + record.key, record.storage->data(), record.nbytes);
  }
  zip.add(prefix + "version", "3\n", 2);
  zip.finish();
  file.commit(options.durable);
}

Value load_pt(const std::shared_ptr<MappedFile>& file, const PickleOptions& options) {
  const std::string& path = file->path();
  if (is_legacy_pt(file->data(), file->size())) return load_legacy_pt(file, options);
  if (is_tar(file->data(), file->size())) refuse_tar(file);
  if (!ZipReader::looks_like_zip(file->data(), file->size())) {
    throw SerializeError("load", path, "", "not a PyTorch checkpoint (no zip header)");
  }
  ZipReader zip(file->data(), file->size(), path);
  if (zip.entries().empty()) throw SerializeError("load", path, "", "zip archive has no entries");
  const std::string& first = zip.entries().front().name;
  if (first.find('/') == std::string::npos) {
    throw SerializeError("load", path, first, "entry outside a top-level folder; not a torch.save archive");
  }
  const std::string prefix = first.substr(0, first.find('/') + 1);
  const ZipReader::Entry* pkl = zip.find(prefix + "data.pkl");
  if (pkl == nullptr && zip.find(prefix + "model.json") != nullptr) {
    throw SerializeError("load", path, prefix + "model.json",
                         "file is a TorchScript archive of PyTorch < 1.3 (model.json), a format ember does not read; "
                         "open it with torch.jit.load and save it again with torch.jit.save");
  }
  if (pkl == nullptr) {
    bool torchscript = zip.find(prefix + "constants.pkl") != nullptr;
    throw SerializeError("load", path, prefix + "data.pkl",
                         torchscript ? "missing: the file is a TorchScript archive (torch.jit.save) without its data.pkl"
                                     : "missing: not a torch.save archive");
  }
  // data.pkl of a TorchScript archive is a tree of __torch__.* module objects, not torch.save's
  // tensors and containers.
  if (options.weights_only && is_torchscript_archive(zip)) {
    throw SerializeError("load", path, pkl->name,
                         "file is a TorchScript archive (torch.jit.save), a tree of TorchScript module objects; read "
                         "its weights with ember::load_state_dict(path) or `ember convert IN OUT --state-dict`, or "
                         "load with LoadOptions().weights_only(false) to read it as inert structure");
  }
  // Every record's CRC is checked, the unused ones too: a damaged file is reported as such.
  // torch.save stores its records; an archive re-zipped by a zip tool has them deflated, and
  // those are inflated once, here, into storages of their own.
  std::unordered_map<std::string, std::shared_ptr<Storage>> inflated;
  for (const ZipReader::Entry& entry : zip.entries()) {
    if (!entry.compressed()) {
      zip.read(entry);
      continue;
    }
    auto storage = std::make_shared<Storage>(static_cast<std::size_t>(entry.size), false);
    zip.extract_to(entry, reinterpret_cast<std::uint8_t*>(storage->data()));
    inflated.emplace(entry.name, std::move(storage));
  }
  auto bytes_of = [&](const ZipReader::Entry& entry) -> std::uint8_t* {
    if (entry.compressed()) return reinterpret_cast<std::uint8_t*>(inflated.at(entry.name)->data());
    return file->mutable_data() + entry.data_offset;
  };
  if (const ZipReader::Entry* order = zip.find(prefix + "byteorder")) {
    std::string text(reinterpret_cast<const char*>(bytes_of(*order)), order->size);
    if (text != "little") throw SerializeError("load", path, order->name, "byte order '" + text + "' is not supported");
  }

  std::unordered_map<std::string, std::pair<std::shared_ptr<Storage>, Dtype>> storages;
  StorageLoader loader = [&](const StorageRef& ref) {
    const std::string& key = ref.key;
    const Dtype dtype = ref.dtype;
    const std::int64_t numel = ref.numel;
    const std::string name = prefix + "data/" + key;
    if (ref.is_view) {
      throw SerializeError("load", path, name, "storage view in a zip-format file (views exist only in legacy files)");
    }
    auto cached = storages.find(key);
    if (cached != storages.end()) {
      if (cached->second.second != dtype) {
        throw SerializeError("load", path, name, "storage used with two dtypes");
      }
      const std::shared_ptr<Storage>& storage = cached->second.first;
      return StorageSlice{storage, 0, static_cast<std::int64_t>(storage->nbytes() / element_size(dtype))};
    }
    const ZipReader::Entry* entry = zip.find(name);
    if (entry == nullptr) throw SerializeError("load", path, name, "storage record missing");
    const std::uint64_t element = element_size(dtype);
    if (static_cast<std::uint64_t>(numel) > entry->size / element || entry->size != numel * element) {
      throw SerializeError("load", path, name,
                           "storage record holds " + std::to_string(entry->size) + " bytes, expected " +
                               std::to_string(numel) + " " + dtype_name(dtype) + " elements (" +
                               std::to_string(numel * element) + " bytes)");
    }
    std::uint8_t* data = bytes_of(*entry);
    std::shared_ptr<Storage> storage;
    if (entry->compressed()) {
      storage = inflated.at(name);
    } else if (reinterpret_cast<std::uintptr_t>(data) % 64 == 0) {
      // Zero copy: the storage keeps the mapping alive.
      std::shared_ptr<MappedFile> keep = file;
      storage = std::make_shared<Storage>(data, entry->size, [keep](void*) {});
    } else {  // an archive written without alignment (Python's zipfile, say)
      storage = std::make_shared<Storage>(entry->size, false);
      if (entry->size) std::memcpy(storage->data(), data, entry->size);
    }
    storages.emplace(key, std::make_pair(storage, dtype));
    return StorageSlice{storage, 0, numel};
  };
  return unpickle(bytes_of(*pkl), pkl->size, loader, path, pkl->name, options);
}

}  // namespace ember::serialize
