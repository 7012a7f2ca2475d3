// Python's repr() of a float, for modules whose extra_repr prints one ("eps=1e-05") and for
// python_repr of a loaded Value (core/value.h).
#pragma once

#include <string>

namespace ember {

// The shortest decimal string that reads back as the same double, laid out as Python's
// repr(float) does: "0.1", "1.0", "0.0001", "1e-05", "1.5e+16", "nan", "inf".
std::string python_float_repr(double value);

}  // namespace ember
