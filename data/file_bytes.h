// read_file_bytes: a whole data file in memory, gunzipped on the fly when it is gzipped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ember::data {

// Reads the file at path. zlib's gzread reads gzip and plain files alike (it looks at the
// first bytes), so `train-images-idx3-ubyte.gz` and its gunzipped copy read the same.
// Throws Error naming the file when it cannot be opened or its gzip data is corrupt. A gzip
// stream cut short (an interrupted download) gives the bytes decompressed so far: the caller
// knows how many it expected and reports "truncated: expected ... found ...".
std::vector<std::uint8_t> read_file_bytes(const std::string& path);

// The first of `candidates` that exists as a regular file, or "" when none does.
std::string first_existing_file(const std::vector<std::string>& candidates);

}  // namespace ember::data
