// ReduceLROnPlateau, following torch/optim/lr_scheduler.py (PyTorch 1.13).
#include "ember/optim/reduce_lr_on_plateau.h"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace ember::optim {

void ReduceLROnPlateau::check_modes(const std::string& mode, const std::string& threshold_mode) {
  check(mode == "min" || mode == "max", "mode ", mode, " is unknown!");
  check(threshold_mode == "rel" || threshold_mode == "abs", "threshold mode ", threshold_mode,
        " is unknown!");
}

std::vector<double> ReduceLROnPlateauOptions::min_lr_per_group(std::size_t n) const {
  if (!per_group_) return std::vector<double>(n, min_lr_.at(0));
  check(min_lr_.size() == n, "expected ", n, " min_lrs, got ", min_lr_.size());
  return min_lr_;
}

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, const ReduceLROnPlateauOptions& o)
    : optimizer_(optimizer),
      factor_(o.factor()),
      patience_(o.patience()),
      verbose_(o.verbose()),
      cooldown_(o.cooldown()),
      mode_(o.mode()),
      threshold_(o.threshold()),
      threshold_mode_(o.threshold_mode()),
      eps_(o.eps()) {
  check(factor_ < 1.0, "Factor should be < 1.0.");
  min_lrs_ = o.min_lr_per_group(optimizer_.num_param_groups());
  check_modes(mode_, threshold_mode_);
  mode_worse_ = mode_ == "min" ? std::numeric_limits<double>::infinity()
                               : -std::numeric_limits<double>::infinity();
  best_ = mode_worse_;
}

bool ReduceLROnPlateau::is_better(double a, double best) const {
  if (mode_ == "min" && threshold_mode_ == "rel") return a < best * (1.0 - threshold_);
  if (mode_ == "min") return a < best - threshold_;
  if (threshold_mode_ == "rel") return a > best * (threshold_ + 1.0);
  return a > best + threshold_;
}

void ReduceLROnPlateau::step(double metric) {
  ++last_epoch_;
  if (is_better(metric, best_)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs in cooldown don't count
  }
  if (num_bad_epochs_ > patience_) {
    reduce_lr();
    cooldown_counter_ = cooldown_;
    num_bad_epochs_ = 0;
  }
  last_lr_ = group_lrs();
  stepped_ = true;
}

void ReduceLROnPlateau::reduce_lr() {
  for (std::size_t i = 0; i < optimizer_.num_param_groups(); ++i) {
    const double old_lr = optimizer_.get_lr(i);
    const double new_lr = std::max(old_lr * factor_, min_lrs_[i]);
    if (old_lr - new_lr > eps_) {
      optimizer_.set_lr(i, new_lr);
      if (verbose_) {
        std::printf("Epoch %05lld: reducing learning rate of group %zu to %.4e.\n",
                    static_cast<long long>(last_epoch_), i, new_lr);
      }
    }
  }
}

std::vector<double> ReduceLROnPlateau::get_last_lr() const {
  return stepped_ ? last_lr_ : group_lrs();
}

std::vector<double> ReduceLROnPlateau::group_lrs() const {
  std::vector<double> lrs;
  for (std::size_t i = 0; i < optimizer_.num_param_groups(); ++i) {
    lrs.push_back(optimizer_.get_lr(i));
  }
  return lrs;
}

Value ReduceLROnPlateau::state_dict() const {
  Value dict = Value::dict();
  dict.set("factor", factor_);
  Value min_lrs = Value::list();
  for (double v : min_lrs_) min_lrs.append(detail::number_or_int_zero(v));
  dict.set("min_lrs", std::move(min_lrs));
  dict.set("patience", patience_);
  dict.set("verbose", verbose_);
  dict.set("cooldown", cooldown_);
  dict.set("cooldown_counter", cooldown_counter_);
  dict.set("mode", mode_);
  dict.set("threshold", threshold_);
  dict.set("threshold_mode", threshold_mode_);
  dict.set("best", best_);
  dict.set("num_bad_epochs", num_bad_epochs_);
  dict.set("mode_worse", mode_worse_);
  dict.set("eps", eps_);
  dict.set("last_epoch", last_epoch_);
  if (stepped_) dict.set("_last_lr", detail::number_list(last_lr_));
  return dict;
}

void ReduceLROnPlateau::load_state_dict(const Value& state_dict) {
  const std::string where = "ReduceLROnPlateau.load_state_dict: state dict";
  check(state_dict.is_dict(), where, " should be a dict, found a ", state_dict.kind_name());
  auto text = [&](const char* key) {
    const Value* v = state_dict.find(Key(std::string(key)));
    check(v != nullptr, where, " has no key '", key, "'");
    check(v->is_string(), where, "['", key, "'] should be a string, found a ", v->kind_name());
    return v->as_string();
  };
  // Read everything before changing anything.
  const double factor = detail::read_number(state_dict, "factor", where);
  std::vector<double> min_lrs = detail::read_number_list(state_dict, "min_lrs", where);
  check(min_lrs.size() == optimizer_.num_param_groups(), where, "['min_lrs'] has ",
        min_lrs.size(), " entries, expected one per parameter group (",
        optimizer_.num_param_groups(), ")");
  const std::int64_t patience = detail::read_int(state_dict, "patience", where);
  const bool verbose = detail::read_bool_or(state_dict, "verbose", false, where);
  const std::int64_t cooldown = detail::read_int(state_dict, "cooldown", where);
  const std::int64_t cooldown_counter = detail::read_int(state_dict, "cooldown_counter", where);
  const std::string mode = text("mode");
  const double threshold = detail::read_number(state_dict, "threshold", where);
  const std::string threshold_mode = text("threshold_mode");
  check_modes(mode, threshold_mode);
  const double best = detail::read_number(state_dict, "best", where);
  const std::int64_t num_bad_epochs = detail::read_int(state_dict, "num_bad_epochs", where);
  const double eps = detail::read_number(state_dict, "eps", where);
  const std::int64_t last_epoch = detail::read_int(state_dict, "last_epoch", where);
  const bool stepped = state_dict.contains(Key(std::string("_last_lr")));
  std::vector<double> last_lr =
      stepped ? detail::read_number_list(state_dict, "_last_lr", where) : std::vector<double>{};

  factor_ = factor;
  min_lrs_ = std::move(min_lrs);
  patience_ = patience;
  verbose_ = verbose;
  cooldown_ = cooldown;
  cooldown_counter_ = cooldown_counter;
  mode_ = mode;
  threshold_ = threshold;
  threshold_mode_ = threshold_mode;
  best_ = best;
  num_bad_epochs_ = num_bad_epochs;
  // PyTorch's load_state_dict re-derives mode_worse from mode (_init_is_better).
  mode_worse_ = mode_ == "min" ? std::numeric_limits<double>::infinity()
                               : -std::numeric_limits<double>::infinity();
  eps_ = eps;
  last_epoch_ = last_epoch;
  last_lr_ = std::move(last_lr);
  stepped_ = stepped;
}

}  // namespace ember::optim
