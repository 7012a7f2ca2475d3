// torch.save / torch.load's file format (PyTorch >= 1.6): a zip of data.pkl plus one raw
// record per storage.
#pragma once

#include <memory>
#include <string>

#include "ember/serialize/mapped_file.h"
#include "ember/serialize/pickle_reader.h"
#include "ember/core/value.h"

namespace ember::serialize {

struct SaveOptions {
  // fsync the file and its directory before returning (crash safety against power loss, not
  // only against a killed process). Costs the time the disk takes to take the data.
  bool durable = true;
  // Write zip64 fields even for small files (tests of the zip64 paths).
  bool force_zip64 = false;
};

// Writes value as torch.save(value, path) would, atomically: <stem>/data.pkl,
// <stem>/byteorder, <stem>/data/0..., <stem>/version ("3\n"), every record 64-byte aligned.
void save_pt(const Value& value, const std::string& path, const SaveOptions& options = SaveOptions());

// Reads a file torch.save wrote. Every record's CRC-32 is checked; tensors point into the
// mapped file when their record is 64-byte aligned (always, for files PyTorch or ember wrote).
// The storages' locations ('cpu', 'cuda:0', 'mps') are ignored: every tensor is a CPU tensor,
// as torch.load(path, map_location='cpu') gives. Files in the legacy format (before PyTorch
// 1.6) are read by load_legacy_pt.
Value load_pt(const std::shared_ptr<MappedFile>& file, const PickleOptions& options = PickleOptions());

}  // namespace ember::serialize
