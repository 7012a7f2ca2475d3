// The param_group keys of an optimizer's options. Each options class lists its keys once, in a
// table of {key, member}; state_dict() writes the group from that table, load_state_dict()
// reads it back, and the keys it names are the ones load_state_dict knows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "ember/core/value.h"

namespace ember::optim {

// One hyperparameter of Options, stored as group[key]. The member's type says how: a number,
// an int, a bool, an optional bool (None when unset), a pair of numbers (a tuple, as betas), a
// str, or a list of numbers (ReduceLROnPlateau's min_lrs).
template <class Options>
struct OptionKey {
  using Member = std::variant<double Options::*, std::int64_t Options::*, bool Options::*,
                              std::optional<bool> Options::*, std::pair<double, double> Options::*,
                              std::string Options::*, std::vector<double> Options::*>;
  const char* key;
  Member member;
  // Written as the int 0 when zero (each element, for a list), as PyTorch writes the defaults
  // it spells `0` (momentum=0, weight_decay=0, min_lr=0).
  bool zero_as_int = false;
};

namespace detail {

Value option_to_value(double value, bool zero_as_int);
Value option_to_value(std::int64_t value, bool zero_as_int);
Value option_to_value(bool value, bool zero_as_int);
Value option_to_value(std::optional<bool> value, bool zero_as_int);
Value option_to_value(std::pair<double, double> value, bool zero_as_int);
Value option_to_value(const std::string& value, bool zero_as_int);
Value option_to_value(const std::vector<double>& value, bool zero_as_int);
// Numbers must be present. Flags may be missing from checkpoints of older PyTorch versions and
// then read as False (or None), which is what the optimizers' __setstate__ fills in.
void option_from_value(const Value& group, const char* key, const std::string& where,
                       double& out);
void option_from_value(const Value& group, const char* key, const std::string& where,
                       std::int64_t& out);
void option_from_value(const Value& group, const char* key, const std::string& where, bool& out);
void option_from_value(const Value& group, const char* key, const std::string& where,
                       std::optional<bool>& out);
void option_from_value(const Value& group, const char* key, const std::string& where,
                       std::pair<double, double>& out);
void option_from_value(const Value& group, const char* key, const std::string& where,
                       std::string& out);
void option_from_value(const Value& group, const char* key, const std::string& where,
                       std::vector<double>& out);

}  // namespace detail

// Adds options' hyperparameters to a param_group dict, in the table's order.
template <class Options>
void write_options(const Options& options, Value& group) {
  for (const OptionKey<Options>& k : Options::keys()) {
    std::visit([&](auto member) {
      group.set(k.key, detail::option_to_value(options.*member, k.zero_as_int));
    }, k.member);
  }
}

// Reads the table's keys of a loaded param_group dict into options; Error naming the key and
// where when one is missing or has another type.
template <class Options>
void read_options(Options& options, const Value& group, const std::string& where) {
  for (const OptionKey<Options>& k : Options::keys()) {
    std::visit([&](auto member) {
      detail::option_from_value(group, k.key, where, options.*member);
    }, k.member);
  }
}

template <class Options>
std::vector<std::string> option_key_names() {
  std::vector<std::string> names;
  for (const OptionKey<Options>& k : Options::keys()) names.push_back(k.key);
  return names;
}

}  // namespace ember::optim
