// SerializeError: builds the one-line message from its parts.
#include "ember/serialize/serialize_error.h"

namespace ember {

namespace {
std::string message(const std::string& op, const std::string& file, const std::string& entry,
                    const std::string& reason) {
  std::string m = op + ": '" + file + "'";
  if (!entry.empty()) m += ", entry '" + entry + "'";
  return m + ": " + reason;
}
}  // namespace

SerializeError::SerializeError(const std::string& op, const std::string& file,
                               const std::string& entry, const std::string& reason)
    : Error(message(op, file, entry, reason)), file_(file), entry_(entry), reason_(reason) {}

}  // namespace ember
