// The public save/load entry points: pick the format, turn stray errors into SerializeError.
#include "ember/serialize/serialize.h"

#include "ember/serialize/legacy_format.h"
#include "ember/serialize/mapped_file.h"
#include "ember/serialize/safetensors.h"
#include "ember/serialize/zip_reader.h"

namespace ember {

namespace {
// Any ember::Error from below (a tensor check, a Value check) gets the file's name.
template <class F>
auto with_file(const char* op, const std::string& path, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const SerializeError&) {
    throw;
  } catch (const Error& e) {
    throw SerializeError(op, path, "", e.what());
  } catch (const std::bad_alloc&) {
    throw SerializeError(op, path, "", "out of memory");
  }
}
}  // namespace

void save(const Value& value, const std::string& path, const SaveOptions& options) {
  with_file("save", path, [&] { serialize::save_pt(value, path, options); });
}

Value load(const std::string& path, const LoadOptions& options) {
  return with_file("load", path, [&] {
    auto file = serialize::MappedFile::open(path);
    if (!serialize::ZipReader::looks_like_zip(file->data(), file->size()) &&
        !serialize::is_legacy_pt(file->data(), file->size()) &&
        serialize::looks_like_safetensors(file->data(), file->size())) {
      return serialize::load_safetensors(file);
    }
    serialize::PickleOptions pickle;
    pickle.weights_only = options.weights_only();
    return serialize::load_pt(file, pickle);
  });
}

void save_safetensors(const Value& tensors, const std::string& path,
                      const std::map<std::string, std::string>& metadata, const SaveOptions& options) {
  with_file("save", path, [&] { serialize::save_safetensors(tensors, path, metadata, options); });
}

Value load_safetensors(const std::string& path, std::map<std::string, std::string>* metadata) {
  return with_file("load", path, [&] {
    return serialize::load_safetensors(serialize::MappedFile::open(path), metadata);
  });
}

}  // namespace ember
