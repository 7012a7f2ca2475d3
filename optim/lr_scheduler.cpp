// The epoch-driven LR schedulers, following torch/optim/lr_scheduler.py (PyTorch 1.13): the
// base class's step() and state_dict, and each scheduler's chainable get_lr().
#include "optim/lr_scheduler.h"

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

StepLR::StepLR(Optimizer& optimizer, const StepLROptions& o)
    : LRScheduler(optimizer, o.last_epoch(), o.verbose(), "StepLR"),
      step_size_(o.step_size()),
      gamma_(o.gamma()) {
  check(step_size_ > 0, "StepLR: step_size should be positive, found ", step_size_);
  initial_step();
}

std::vector<double> StepLR::get_lr() const {
  std::vector<double> lrs = group_lrs();
  if (last_epoch_ == 0 || last_epoch_ % step_size_ != 0) return lrs;
  for (double& lr : lrs) lr *= gamma_;
  return lrs;
}

void StepLR::write_fields(Value& dict) const {
  dict.set("step_size", step_size_);
  dict.set("gamma", gamma_);
}

void StepLR::read_fields(const Value& dict, const std::string& where) {
  const std::int64_t step_size = detail::read_int(dict, "step_size", where);
  check(step_size > 0, where, "['step_size'] should be positive, found ", step_size);
  gamma_ = detail::read_number(dict, "gamma", where);
  step_size_ = step_size;
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

ExponentialLR::ExponentialLR(Optimizer& optimizer, const ExponentialLROptions& o)
    : LRScheduler(optimizer, o.last_epoch(), o.verbose(), "ExponentialLR"), gamma_(o.gamma()) {
  initial_step();
}

std::vector<double> ExponentialLR::get_lr() const {
  std::vector<double> lrs = group_lrs();
  if (last_epoch_ == 0) return lrs;
  for (double& lr : lrs) lr *= gamma_;
  return lrs;
}

void ExponentialLR::write_fields(Value& dict) const { dict.set("gamma", gamma_); }

void ExponentialLR::read_fields(const Value& dict, const std::string& where) {
  gamma_ = detail::read_number(dict, "gamma", where);
}

// ---- CosineAnnealingLR -------------------------------------------------------------------------

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, const CosineAnnealingLROptions& o)
    : LRScheduler(optimizer, o.last_epoch(), o.verbose(), "CosineAnnealingLR"),
      T_max_(o.T_max()),
      eta_min_(o.eta_min()) {
  check(T_max_ > 0, "CosineAnnealingLR: T_max should be positive, found ", T_max_);
  initial_step();
}

std::vector<double> CosineAnnealingLR::get_lr() const {
  const double pi = std::acos(-1.0);
  const double t_max = static_cast<double>(T_max_);
  const double epoch = static_cast<double>(last_epoch_);
  std::vector<double> lrs = group_lrs();
  if (last_epoch_ == 0) return lrs;
  for (std::size_t i = 0; i < lrs.size(); ++i) {
    if (step_count_ == 1 && last_epoch_ > 0) {
      // Resumed at a later epoch: the closed form.
      lrs[i] = eta_min_ + (base_lrs_[i] - eta_min_) * (1 + std::cos(epoch * pi / t_max)) / 2;
    } else if ((last_epoch_ - 1 - T_max_) % (2 * T_max_) == 0) {
      // Restarting from the minimum: the recursion below would divide by zero.
      lrs[i] = lrs[i] + (base_lrs_[i] - eta_min_) * (1 - std::cos(pi / t_max)) / 2;
    } else {
      lrs[i] = (1 + std::cos(pi * epoch / t_max)) / (1 + std::cos(pi * (epoch - 1) / t_max)) *
                   (lrs[i] - eta_min_) +
               eta_min_;
    }
  }
  return lrs;
}

void CosineAnnealingLR::write_fields(Value& dict) const {
  dict.set("T_max", T_max_);
  dict.set("eta_min", detail::number_or_int_zero(eta_min_));
}

void CosineAnnealingLR::read_fields(const Value& dict, const std::string& where) {
  const std::int64_t T_max = detail::read_int(dict, "T_max", where);
  check(T_max > 0, where, "['T_max'] should be positive, found ", T_max);
  eta_min_ = detail::read_number(dict, "eta_min", where);
  T_max_ = T_max;
}

}  // namespace ember::optim
