// Reduction: how a loss folds its per-element values into its result ("mean", "sum", "none").
#pragma once

#include <string>

namespace ember::nn {

// PyTorch's `reduction=` argument. Converts implicitly from its strings, so both
// `mse_loss(x, y, "sum")` and `mse_loss(x, y, Reduction::sum)` read naturally; any other
// string is an Error, in PyTorch's words: "avg is not a valid value for reduction (...)".
class Reduction {
 public:
  enum Kind { none, mean, sum };

  Reduction(Kind kind) : kind_(kind) {}  // NOLINT: implicit on purpose
  Reduction(const std::string& name);    // NOLINT
  Reduction(const char* name) : Reduction(std::string(name)) {}  // NOLINT

  Kind kind() const { return kind_; }
  const char* name() const;
  bool operator==(Kind kind) const { return kind_ == kind; }
  bool operator!=(Kind kind) const { return kind_ != kind; }

 private:
  Kind kind_;
};

}  // namespace ember::nn
