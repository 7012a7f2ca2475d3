// SerializeError: what every failure to read or write a checkpoint throws.
#pragma once

#include <string>

#include "ember/tensor/error.h"

namespace ember {

// Names the operation, the file, the entry inside it (a zip record, a safetensors tensor;
// empty when the problem is the file as a whole) and the reason:
//   load: 'ckpt.pt', entry 'ckpt/data/3': CRC-32 mismatch (stored 0x1234abcd, computed ...)
// It derives from ember::Error, so code that catches Error catches it too.
class SerializeError : public Error {
 public:
  SerializeError(const std::string& op, const std::string& file, const std::string& entry,
                 const std::string& reason);

  const std::string& file() const { return file_; }
  const std::string& entry() const { return entry_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string file_;
  std::string entry_;
  std::string reason_;
};

}  // namespace ember
