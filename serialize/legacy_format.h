// PyTorch's legacy torch.save format (PyTorch before 1.6, or _use_new_zipfile_serialization=False):
// pickles and raw storage bytes one after another, no container.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "ember/core/value.h"
#include "ember/serialize/mapped_file.h"
#include "ember/serialize/pickle_reader.h"

namespace ember::serialize {

// True if the bytes start like the legacy format: a pickle (protocol 2 or later) of PyTorch's
// magic number 0x1950a86a20f9469cfc6c.
bool is_legacy_pt(const std::uint8_t* data, std::size_t size);

// Reads a legacy file as torch.load does (torch/serialization.py _legacy_load). The stream is
// pickle(magic number), pickle(protocol version 1001), pickle(sys_info), the object pickle,
// pickle(list of storage keys), then per key an 8-byte little-endian element count and the
// storage's bytes. Every size is checked against the bytes in the file before a storage is
// allocated; tensors that share a storage, or lie on views of one, share one Storage. Storages
// saved on a GPU ('cuda:0', 'mps') load to the CPU. Bytes after the last storage are ignored,
// as torch.load ignores them. Throws SerializeError naming the file, the section with the byte
// it starts at, and the reason. options apply to the object pickle (whole models need
// weights_only=false, as in the zip format).
Value load_legacy_pt(const std::shared_ptr<MappedFile>& file, const PickleOptions& options = PickleOptions());

// True for a tar archive (POSIX or GNU header): PyTorch before 0.4 saved checkpoints as tar files.
bool is_tar(const std::uint8_t* data, std::size_t size);

// Throws the SerializeError for a tar archive: PyTorch's pre-0.4 format (members 'sys_info',
// 'pickle', 'storages', 'tensors'), which ember does not read, or a tar that is no checkpoint.
[[noreturn]] void refuse_tar(const std::shared_ptr<MappedFile>& file);

}  // namespace ember::serialize
