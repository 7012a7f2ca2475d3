// dispatch_flags: turns run-time choices (momentum or not, amsgrad or not, ...) into
// compile-time ones for the optimizers' update loops. Only the optimizers' .cpp files include it.
#pragma once

#include <type_traits>

namespace ember::optim::detail {

// Calls fn(std::bool_constant<flags>...): fn(std::true_type{}, std::false_type{}) for
// dispatch_flags(fn, true, false). fn passes them on as template arguments, so that every
// combination compiles to a loop of its own with no branch inside, which the compiler
// vectorises (with the choices tested inside one loop, GCC vectorised only some combinations).
template <class Fn>
void dispatch_flags(Fn&& fn) {
  fn();
}

template <class Fn, class... Flags>
void dispatch_flags(Fn&& fn, bool flag, Flags... rest) {
  if (flag) {
    dispatch_flags([&](auto... known) { fn(std::true_type{}, known...); }, rest...);
  } else {
    dispatch_flags([&](auto... known) { fn(std::false_type{}, known...); }, rest...);
  }
}

}  // namespace ember::optim::detail
