// The epoch-driven LR schedulers, following torch/optim/lr_scheduler.py (PyTorch 1.13): the
// base class's step() and state_dict, and each scheduler's chainable get_lr().
#include "ember/optim/lr_scheduler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ember::optim {

// ---- LRScheduler -------------------------------------------------------------------------------

LRScheduler::LRScheduler(Optimizer& optimizer, std::int64_t last_epoch, bool verbose,
                         std::string name)
    : optimizer_(optimizer), last_epoch_(last_epoch), verbose_(verbose), name_(std::move(name)) {
  for (std::size_t i = 0; i < optimizer_.num_param_groups(); ++i) {
    std::optional<double>& initial_lr = optimizer_.initial_lr(i);
    if (last_epoch == -1) {
      if (!initial_lr) initial_lr = optimizer_.get_lr(i);
    } else {
      check(initial_lr.has_value(), name_, ": param 'initial_lr' is not specified in ",
            "param_groups[", i, "] when resuming an optimizer (last_epoch = ", last_epoch, ")");
    }
    base_lrs_.push_back(*initial_lr);
  }
}

void LRScheduler::initial_step() {
  step_count_ = 0;
  step();
}

std::vector<double> LRScheduler::group_lrs() const {
  std::vector<double> lrs;
  for (std::size_t i = 0; i < optimizer_.num_param_groups(); ++i) {
    lrs.push_back(optimizer_.get_lr(i));
  }
  return lrs;
}

void LRScheduler::step() {
  ++step_count_;
  ++last_epoch_;
  const std::vector<double> values = get_lr();
  for (std::size_t i = 0; i < optimizer_.num_param_groups() && i < values.size(); ++i) {
    optimizer_.set_lr(i, values[i]);
    if (verbose_) std::printf("Adjusting learning rate of group %zu to %.4e.\n", i, values[i]);
  }
  last_lr_ = group_lrs();
}

Value LRScheduler::state_dict() const {
  Value dict = Value::dict();
  write_fields(dict);  // PyTorch's subclasses set their fields before the base's
  dict.set("base_lrs", detail::number_list(base_lrs_));
  dict.set("last_epoch", last_epoch_);
  dict.set("verbose", verbose_);
  dict.set("_step_count", step_count_);
  dict.set("_get_lr_called_within_step", false);
  dict.set("_last_lr", detail::number_list(last_lr_));
  return dict;
}

void LRScheduler::load_state_dict(const Value& state_dict) {
  const std::string where = name_ + ".load_state_dict: state dict";
  check(state_dict.is_dict(), where, " should be a dict, found a ", state_dict.kind_name());
  // Read everything before changing anything.
  std::vector<double> base_lrs = detail::read_number_list(state_dict, "base_lrs", where);
  check(base_lrs.size() == optimizer_.num_param_groups(), where, "['base_lrs'] has ",
        base_lrs.size(), " entries, expected one per parameter group (",
        optimizer_.num_param_groups(), ")");
  const std::int64_t last_epoch = detail::read_int(state_dict, "last_epoch", where);
  const std::int64_t step_count = detail::read_int(state_dict, "_step_count", where);
  const bool verbose = detail::read_bool_or(state_dict, "verbose", verbose_, where);
  std::vector<double> last_lr = state_dict.contains(Key(std::string("_last_lr")))
                                    ? detail::read_number_list(state_dict, "_last_lr", where)
                                    : last_lr_;
  read_fields(state_dict, where);
  base_lrs_ = std::move(base_lrs);
  last_epoch_ = last_epoch;
  step_count_ = step_count;
  verbose_ = verbose;
  last_lr_ = std::move(last_lr);
}

// ---- StepLR ------------------------------------------------------------------------------------

void StepLROptions::validate() const {
  check(step_size_ > 0, "StepLR: step_size should be positive, found ", step_size_);
}

const std::vector<OptionKey<StepLROptions>>& StepLROptions::keys() {
  static const std::vector<OptionKey<StepLROptions>> keys = {
      {"step_size", &StepLROptions::step_size_},
      {"gamma", &StepLROptions::gamma_},
  };
  return keys;
}

StepLR::StepLR(Optimizer& optimizer, const StepLROptions& options)
    : LRSchedulerWithOptions(optimizer, options, "StepLR") {
  initial_step();
}

std::vector<double> StepLR::get_lr() const {
  std::vector<double> lrs = group_lrs();
  if (last_epoch_ == 0 || last_epoch_ % options_.step_size() != 0) return lrs;
  for (double& lr : lrs) lr *= options_.gamma();
  return lrs;
}

// ---- MultiStepLR -------------------------------------------------------------------------------

MultiStepLR::MultiStepLR(Optimizer& optimizer, const MultiStepLROptions& o)
    : LRScheduler(optimizer, o.last_epoch(), o.verbose(), "MultiStepLR"), gamma_(o.gamma()) {
  // collections.Counter(milestones): counts, keyed in order of first appearance.
  for (std::int64_t m : o.milestones()) {
    auto it = std::find_if(milestones_.begin(), milestones_.end(),
                           [m](const auto& entry) { return entry.first == m; });
    if (it == milestones_.end()) {
      milestones_.emplace_back(m, 1);
    } else {
      ++it->second;
    }
  }
  initial_step();
}

std::vector<double> MultiStepLR::get_lr() const {
  std::vector<double> lrs = group_lrs();
  for (const auto& [epoch, count] : milestones_) {
    if (epoch != last_epoch_) continue;
    const double factor = std::pow(gamma_, static_cast<double>(count));
    for (double& lr : lrs) lr *= factor;
  }
  return lrs;
}

void MultiStepLR::write_fields(Value& dict) const {
  Value milestones = Value::dict();
  for (const auto& [epoch, count] : milestones_) milestones.set(Key(epoch), count);
  dict.set("milestones", std::move(milestones));
  dict.set("gamma", gamma_);
}

void MultiStepLR::read_fields(const Value& dict, const std::string& where) {
  const Value* milestones = dict.find(Key(std::string("milestones")));
  check(milestones != nullptr, where, " has no key 'milestones'");
  check(milestones->is_dict(), where, "['milestones'] should be a dict {epoch: count}, found a ",
        milestones->kind_name());
  std::vector<std::pair<std::int64_t, std::int64_t>> parsed;
  for (std::size_t i = 0; i < milestones->size(); ++i) {
    const std::int64_t* epoch = std::get_if<std::int64_t>(&milestones->keys()[i]);
    const Value& count = milestones->values()[i];
    check(epoch != nullptr && count.is_int(), where,
          "['milestones'] should map int epochs to int counts");
    parsed.emplace_back(*epoch, count.as_int());
  }
  gamma_ = detail::read_number(dict, "gamma", where);
  milestones_ = std::move(parsed);
}

// ---- ExponentialLR -----------------------------------------------------------------------------

const std::vector<OptionKey<ExponentialLROptions>>& ExponentialLROptions::keys() {
  static const std::vector<OptionKey<ExponentialLROptions>> keys = {
      {"gamma", &ExponentialLROptions::gamma_},
  };
  return keys;
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, const ExponentialLROptions& options)
    : LRSchedulerWithOptions(optimizer, options, "ExponentialLR") {
  initial_step();
}

std::vector<double> ExponentialLR::get_lr() const {
  std::vector<double> lrs = group_lrs();
  if (last_epoch_ == 0) return lrs;
  for (double& lr : lrs) lr *= options_.gamma();
  return lrs;
}

// ---- CosineAnnealingLR -------------------------------------------------------------------------

void CosineAnnealingLROptions::validate() const {
  check(T_max_ > 0, "CosineAnnealingLR: T_max should be positive, found ", T_max_);
}

const std::vector<OptionKey<CosineAnnealingLROptions>>& CosineAnnealingLROptions::keys() {
  static const std::vector<OptionKey<CosineAnnealingLROptions>> keys = {
      {"T_max", &CosineAnnealingLROptions::T_max_},
      {"eta_min", &CosineAnnealingLROptions::eta_min_, /*zero_as_int=*/true},
  };
  return keys;
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, const CosineAnnealingLROptions& options)
    : LRSchedulerWithOptions(optimizer, options, "CosineAnnealingLR") {
  initial_step();
}

std::vector<double> CosineAnnealingLR::get_lr() const {
  const double pi = std::acos(-1.0);
  const std::int64_t T_max = options_.T_max();
  const double eta_min = options_.eta_min();
  const double t_max = static_cast<double>(T_max);
  const double epoch = static_cast<double>(last_epoch_);
  std::vector<double> lrs = group_lrs();
  if (last_epoch_ == 0) return lrs;
  for (std::size_t i = 0; i < lrs.size(); ++i) {
    if (step_count_ == 1 && last_epoch_ > 0) {
      // Resumed at a later epoch: the closed form.
      lrs[i] = eta_min + (base_lrs_[i] - eta_min) * (1 + std::cos(epoch * pi / t_max)) / 2;
    } else if ((last_epoch_ - 1 - T_max) % (2 * T_max) == 0) {
      // Restarting from the minimum: the recursion below would divide by zero.
      lrs[i] = lrs[i] + (base_lrs_[i] - eta_min) * (1 - std::cos(pi / t_max)) / 2;
    } else {
      lrs[i] = (1 + std::cos(pi * epoch / t_max)) / (1 + std::cos(pi * (epoch - 1) / t_max)) *
                   (lrs[i] - eta_min) +
               eta_min;
    }
  }
  return lrs;
}

}  // namespace ember::optim
