// The legacy .pt reader: header pickles, the object pickle, the storage list and the raw
// storages. Reference: torch/serialization.py (_legacy_save, _legacy_load) and
// torch/csrc/serialization.cpp (THPStorage_readFileRaw, which reads each storage's bytes).
#include "ember/serialize/legacy_format.h"

#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "ember/serialize/pickle_reader.h"
#include "ember/serialize/serialize_error.h"

namespace ember::serialize {

namespace {

// LONG1 of 10 bytes: the magic number 0x1950a86a20f9469cfc6c, little-endian.
constexpr std::uint8_t kMagic[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr long long kProtocolVersion = 1001;

// Length of the magic number's pickle (PROTO, a FRAME from protocol 4 on, LONG1, STOP), or 0.
// The magic number does not fit an int64, so it is matched as bytes, not unpickled.
std::size_t magic_pickle_size(const std::uint8_t* data, std::size_t size) {
  if (size < 2 || data[0] != 0x80 || data[1] < 2 || data[1] > 5) return 0;
  std::size_t pos = 2;
  if (size - pos >= 9 && data[pos] == 0x95) pos += 9;
  if (size - pos < sizeof kMagic + 1 || std::memcmp(data + pos, kMagic, sizeof kMagic) != 0 ||
      data[pos + sizeof kMagic] != '.') {
    return 0;
  }
  return pos + sizeof kMagic + 1;
}

// A storage key the pickle names, as _legacy_load's deserialized_objects holds it: a root
// storage (root == its own key) whose bytes follow in the file, or a view of part of one.
struct StorageInfo {
  Dtype dtype = Dtype::float32;
  std::int64_t numel = 0;
  std::string root;
  std::int64_t offset = 0;  // a view's first element in its root
  bool listed = false;  // named by the storage list
  std::size_t data_offset = 0;  // where a root's bytes start in the file
  std::shared_ptr<Storage> storage;  // a root's; a placeholder until the bytes are checked
};

class LegacyReader {
 public:
  LegacyReader(const std::shared_ptr<MappedFile>& file, const PickleOptions& options)
      : file_(file), path_(file->path()), options_(options) {}
  Value read();

 private:
  [[noreturn]] void fail(const std::string& entry, const std::string& reason) const {
    throw SerializeError("load", path_, entry, reason);
  }
  std::string section(const std::string& name) const { return name + " at byte " + std::to_string(pos_); }
  Value next_pickle(const std::string& name);
  void read_header();
  StorageSlice resolve(const StorageRef& ref, const std::string& entry);
  void read_storage_list();
  void find_storages();
  void make_storages();

  std::shared_ptr<MappedFile> file_;
  std::string path_;
  PickleOptions options_;  // for the object pickle
  std::size_t pos_ = 0;
  std::size_t objects_ = 0;  // where the object pickle starts
  std::unordered_map<std::string, StorageInfo> storages_;
  std::vector<std::string> roots_;  // root keys, in the order the pickle first names them
  std::vector<std::string> order_;  // root keys, in the storage list's order (the bytes' order)
};

// A pickle at pos_ that may hold no storages (the header pickles and the storage list).
Value LegacyReader::next_pickle(const std::string& name) {
  const std::string entry = section(name);
  StorageLoader refuse = [&](const StorageRef&) -> StorageSlice {
    fail(entry, "a storage persistent id outside the object pickle");
  };
  std::size_t used = 0;
  Value value = unpickle(file_->data() + pos_, file_->size() - pos_, refuse, path_, entry, PickleLimits(), &used);
  pos_ += used;
  return value;
}

void LegacyReader::read_header() {
  pos_ = magic_pickle_size(file_->data(), file_->size());
  if (pos_ == 0) fail("magic number at byte 0", "not PyTorch's legacy format (no pickled magic number)");
  std::string entry = section("protocol version");
  Value version = next_pickle("protocol version");
  if (!version.is_int() || version.as_int() != kProtocolVersion) {
    fail(entry, "protocol version " + python_repr(version) + ", expected 1001");
  }
  entry = section("sys_info");
  Value info = next_pickle("sys_info");
  if (!info.is_dict()) fail(entry, std::string("sys_info must be a dict, found ") + info.kind_name());
  const auto is = [&](const Value& v, long long want) { return v.is_int() && v.as_int() == want; };
  if (info.contains("protocol_version") && !is(info.at("protocol_version"), kProtocolVersion)) {
    fail(entry, "sys_info protocol_version " + python_repr(info.at("protocol_version")) + ", expected 1001");
  }
  // torch.load ignores sys_info, but PyTorch versions before 1.0 wrote storages in the saving
  // machine's byte order, and a big-endian file cannot say which convention it followed.
  const Value* little = info.contains("little_endian") ? &info.at("little_endian") : nullptr;
  if (little != nullptr && !(little->is_bool() && little->as_bool())) {
    fail(entry, "sys_info little_endian is " + python_repr(*little) +
                    ": the file was written on a big-endian machine, and ember reads little-endian "
                    "files only; load and re-save it with PyTorch on the machine that wrote it");
  }
  if (info.contains("type_sizes")) {
    // The sizes of C's short, int and long on the saving machine; PyTorch 1.x writes
    // struct.Struct('=l').size (4), earlier versions the native long (8 on 64-bit Unix).
    const Value& sizes = info.at("type_sizes");
    const auto size_is = [&](const char* name, long long a, long long b) {
      return sizes.contains(name) && (is(sizes.at(name), a) || is(sizes.at(name), b));
    };
    if (!sizes.is_dict() || !size_is("short", 2, 2) || !size_is("int", 4, 4) || !size_is("long", 4, 8)) {
      fail(entry, "sys_info type_sizes " + python_repr(sizes) +
                      ", expected {'short': 2, 'int': 4, 'long': 4 or 8}");
    }
  }
}

// The loader of both passes over the object pickle: records each storage the first time it is
// named (checking that its bytes could fit in the rest of the file, so nothing is allocated on
// a damaged size) and hands out its Storage, a placeholder in the first pass.
StorageSlice LegacyReader::resolve(const StorageRef& ref, const std::string& entry) {
  const std::string what = "storage '" + ref.key + "'";
  auto [it, inserted] = storages_.try_emplace(ref.key);
  StorageInfo& root = it->second;
  if (inserted) {
    if (static_cast<std::uint64_t>(ref.numel) > (file_->size() - objects_) / element_size(ref.dtype)) {
      fail(entry, what + " of " + std::to_string(ref.numel) + " " + dtype_name(ref.dtype) +
                      " elements is larger than the rest of the file (" +
                      std::to_string(file_->size() - objects_) + " bytes)");
    }
    root.dtype = ref.dtype;
    root.numel = ref.numel;
    root.root = ref.key;
    root.storage = std::make_shared<Storage>(nullptr, static_cast<std::size_t>(ref.numel) * element_size(ref.dtype),
                                             [](void*) {});
    roots_.push_back(ref.key);
  } else if (root.root != ref.key) {
    fail(entry, "key '" + ref.key + "' names both a storage view and a storage");
  } else if (root.dtype != ref.dtype || root.numel != ref.numel) {
    fail(entry, what + " is named as " + std::to_string(root.numel) + " " + dtype_name(root.dtype) +
                    " elements and as " + std::to_string(ref.numel) + " " + dtype_name(ref.dtype) + " elements");
  }
  if (!ref.is_view) return StorageSlice{root.storage, 0, root.numel};

  if (ref.view_offset < 0 || ref.view_numel < 0 || ref.view_offset > root.numel - ref.view_numel) {
    fail(entry, "view '" + ref.view_key + "' of elements [" + std::to_string(ref.view_offset) + ", " +
                    std::to_string(ref.view_offset + ref.view_numel) + ") lies outside " + what + " of " +
                    std::to_string(root.numel) + " elements");
  }
  auto [vit, view_inserted] = storages_.try_emplace(ref.view_key);
  StorageInfo& view = vit->second;
  if (view_inserted) {
    view.dtype = ref.dtype;
    view.numel = ref.view_numel;
    view.root = ref.key;
    view.offset = ref.view_offset;
  } else if (view.root == ref.view_key || view.root != ref.key || view.offset != ref.view_offset ||
             view.numel != ref.view_numel) {
    fail(entry, "key '" + ref.view_key + "' names two different storages or views");
  }
  return StorageSlice{root.storage, view.offset, view.numel};
}

// pickle(sorted keys): each storage the pickle named, once; their bytes follow in this order.
void LegacyReader::read_storage_list() {
  const std::string entry = section("storage list");
  Value keys = next_pickle("storage list");
  if (!keys.is_list()) fail(entry, std::string("the storage list must be a list of keys, found ") + keys.kind_name());
  for (const Value& item : keys.items()) {
    if (!item.is_string() && !item.is_int()) {
      fail(entry, std::string("a storage key must be a string, found ") + item.kind_name());
    }
    const std::string key = item.is_string() ? item.as_string() : std::to_string(item.as_int());
    auto it = storages_.find(key);
    if (it == storages_.end()) fail(entry, "lists storage '" + key + "', which the pickle never names");
    if (it->second.root != key) fail(entry, "lists '" + key + "', which the pickle names as a storage view");
    if (it->second.listed) fail(entry, "lists storage '" + key + "' twice");
    it->second.listed = true;
    order_.push_back(key);
  }
  for (const std::string& key : roots_) {
    if (!storages_.at(key).listed) {
      fail(entry, "storage '" + key + "', which the pickle names, is missing from the list");
    }
  }
}

// Per storage: an int64 element count, then count * element_size bytes.
void LegacyReader::find_storages() {
  for (const std::string& key : order_) {
    StorageInfo& info = storages_.at(key);
    const std::string entry = section("storage '" + key + "'");
    const std::size_t left = file_->size() - pos_;
    if (left < 8) fail(entry, "the file ends inside the storage's element count (truncated)");
    std::uint64_t count = 0;
    for (int k = 0; k < 8; ++k) count |= static_cast<std::uint64_t>(file_->data()[pos_ + k]) << (8 * k);
    if (count != static_cast<std::uint64_t>(info.numel)) {
      fail(entry, "holds " + std::to_string(static_cast<std::int64_t>(count)) + " elements, the pickle says " +
                      std::to_string(info.numel) + " " + dtype_name(info.dtype) + " elements");
    }
    // numel was checked against the file's size when the pickle named it: no overflow here.
    const std::size_t nbytes = static_cast<std::size_t>(info.numel) * element_size(info.dtype);
    if (nbytes > left - 8) {
      fail(entry, "needs " + std::to_string(nbytes) + " bytes of data, the file has " + std::to_string(left - 8) +
                      " left (truncated)");
    }
    info.data_offset = pos_ + 8;
    pos_ += 8 + nbytes;
  }
}

// The real storages: the mapping itself where the bytes happen to be 64-byte aligned (as
// Storage promises), else a copy.
void LegacyReader::make_storages() {
  for (const std::string& key : order_) {
    StorageInfo& info = storages_.at(key);
    const std::size_t nbytes = info.storage->nbytes();
    std::uint8_t* data = file_->mutable_data() + info.data_offset;
    if (reinterpret_cast<std::uintptr_t>(data) % 64 == 0) {
      std::shared_ptr<MappedFile> keep = file_;
      info.storage = std::make_shared<Storage>(data, nbytes, [keep](void*) {});
    } else {
      info.storage = std::make_shared<Storage>(nbytes, false);
      if (nbytes) std::memcpy(info.storage->data(), data, nbytes);
    }
  }
}

// The object pickle comes before the list that says where each storage's bytes are, so it is
// read twice: first to learn the storages (their tensors built on placeholders), then, once
// every size is checked and the storages exist, to build the result on them.
Value LegacyReader::read() {
  read_header();
  objects_ = pos_;
  const std::string entry = section("object pickle");
  StorageLoader loader = [&](const StorageRef& ref) { return resolve(ref, entry); };
  std::size_t used = 0;
  unpickle(file_->data() + objects_, file_->size() - objects_, loader, path_, entry, options_, &used);
  pos_ = objects_ + used;
  read_storage_list();
  find_storages();
  make_storages();
  return unpickle(file_->data() + objects_, used, loader, path_, entry, options_);
}

}  // namespace

bool is_legacy_pt(const std::uint8_t* data, std::size_t size) { return magic_pickle_size(data, size) != 0; }

Value load_legacy_pt(const std::shared_ptr<MappedFile>& file, const PickleOptions& options) {
  return LegacyReader(file, options).read();
}

bool is_tar(const std::uint8_t* data, std::size_t size) {
  return size >= 512 && std::memcmp(data + 257, "ustar", 5) == 0;
}

void refuse_tar(const std::shared_ptr<MappedFile>& file) {
  // Walk the member headers (512-byte blocks; the name at 0, the size in octal at 124) for
  // PyTorch's member names.
  bool storages = false, tensors = false, pickle = false;
  const std::uint8_t* data = file->data();
  std::size_t pos = 0;
  for (int members = 0; members < 64 && file->size() - pos >= 512 && data[pos] != 0; ++members) {
    const char* header = reinterpret_cast<const char*>(data + pos);
    const std::string name(header, strnlen(header, 100));
    storages |= name == "storages";
    tensors |= name == "tensors";
    pickle |= name == "pickle";
    std::uint64_t member_size = 0;
    for (std::size_t k = 124; k < 136 && data[pos + k] >= '0' && data[pos + k] <= '7'; ++k) {
      member_size = member_size * 8 + (data[pos + k] - '0');
    }
    const std::uint64_t blocks = (member_size + 511) / 512;
    if (blocks >= (file->size() - pos) / 512) break;
    pos += 512 * (1 + static_cast<std::size_t>(blocks));
  }
  if (storages && tensors && pickle) {
    throw SerializeError("load", file->path(), "",
                         "file is in PyTorch's tar format (before PyTorch 0.4: members 'sys_info', 'pickle', "
                         "'storages', 'tensors'), which ember does not read; re-save it with PyTorch: "
                         "torch.save(torch.load(path), path)");
  }
  throw SerializeError("load", file->path(), "", "file is a tar archive, not a PyTorch checkpoint");
}

}  // namespace ember::serialize
