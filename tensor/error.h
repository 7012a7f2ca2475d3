// ember::Error and the one checking helper every user-facing check goes through.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace ember {

// Thrown for every bad argument, shape or state a user can cause. The message says the
// operation, what was expected and what was found: "matmul: shapes (4, 3) and (4, 2) cannot
// be multiplied (3 != 4)".
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

namespace detail {
inline void append(std::ostringstream&) {}
template <class T, class... Rest>
void append(std::ostringstream& out, const T& first, const Rest&... rest) {
  out << first;
  append(out, rest...);
}
}  // namespace detail

// Concatenates its arguments with operator<< into one string.
template <class... Parts>
std::string str(const Parts&... parts) {
  std::ostringstream out;
  detail::append(out, parts...);
  return out.str();
}

// check(cond, "op: expected ", a, ", found ", b) throws Error when cond is false. The message
// parts are only formatted on failure.
template <class... Parts>
inline void check(bool condition, const Parts&... parts) {
  if (!condition) throw Error(str(parts...));
}

}  // namespace ember
