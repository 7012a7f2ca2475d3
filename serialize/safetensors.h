// safetensors: Hugging Face's plain tensor file (a JSON header, then raw little-endian data).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "ember/serialize/mapped_file.h"
#include "ember/serialize/pt_format.h"
#include "ember/core/value.h"

namespace ember::serialize {

// Writes a dict of str -> Tensor (non-contiguous tensors are copied to row-major order) and
// optional string metadata ("__metadata__"), atomically. The header is padded with spaces to
// a multiple of 8 bytes, as the reference writer does. Spec: github.com/huggingface/safetensors.
void save_safetensors(const Value& tensors, const std::string& path,
                      const std::map<std::string, std::string>& metadata = {},
                      const SaveOptions& options = SaveOptions());

// Reads a safetensors file into a dict of str -> Tensor in file order, applying the format's
// own validation rules: header length at most 100,000,000 bytes and inside the file, valid
// JSON of the expected shape, no duplicate names, data_offsets that start at 0 and tile the
// buffer without gaps or overlaps, end - begin = numel * element size, and the buffer ending
// exactly at the end of the file. metadata, if given, receives "__metadata__".
Value load_safetensors(const std::shared_ptr<MappedFile>& file,
                       std::map<std::string, std::string>* metadata = nullptr);

// True if the bytes could be a safetensors file (a plausible header length, then '{').
bool looks_like_safetensors(const std::uint8_t* data, std::size_t size);

}  // namespace ember::serialize
