// ember::Error and the one checking helper every user-facing check goes through.
#pragma once

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace ember {

// Thrown for every bad argument, shape or state a user can cause. The message says the
// operation, what was expected and what was found: "matmul: shapes (4, 3) and (4, 2) cannot
// be multiplied (3 != 4)".
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

namespace detail {
// A list of sizes (a Shape) as Python writes a tuple: "(2, 3)", "(3,)", "()".
inline void write_tuple(std::ostringstream& out, const std::vector<std::int64_t>& values) {
  out << "(";
  for (std::size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values[i];
  out << (values.size() == 1 ? ",)" : ")");
}

// Each part goes through operator<<, except a list of sizes, written as a tuple: a check can
// take a shape as it is, and format it only when it fails.
inline void append(std::ostringstream&) {}
template <class T, class... Rest>
void append(std::ostringstream& out, const T& first, const Rest&... rest) {
  if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) {
    write_tuple(out, first);
  } else {
    out << first;
  }
  append(out, rest...);
}
}  // namespace detail

// Concatenates its arguments into one string: with operator<<, shapes as tuples.
template <class... Parts>
std::string str(const Parts&... parts) {
  std::ostringstream out;
  detail::append(out, parts...);
  return out.str();
}

// check(cond, "op: expected ", a, ", found ", b) throws Error when cond is false. The message
// parts are only formatted on failure: pass a shape itself, not shape_str(shape), which would
// format it on every call (checks run on every op of a training step).
template <class... Parts>
inline void check(bool condition, const Parts&... parts) {
  if (!condition) throw Error(str(parts...));
}

}  // namespace ember
