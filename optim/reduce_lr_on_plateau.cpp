// ReduceLROnPlateau, following torch/optim/lr_scheduler.py (PyTorch 1.13).
#include "ember/optim/reduce_lr_on_plateau.h"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace ember::optim {

const std::vector<OptionKey<ReduceLROnPlateau::State>>& ReduceLROnPlateau::State::keys() {
  static const std::vector<OptionKey<State>> keys = {
      {"factor", &State::factor},
      {"min_lrs", &State::min_lrs, /*zero_as_int=*/true},
      {"patience", &State::patience},
      {"verbose", &State::verbose},
      {"cooldown", &State::cooldown},
      {"cooldown_counter", &State::cooldown_counter},
      {"mode", &State::mode},
      {"threshold", &State::threshold},
      {"threshold_mode", &State::threshold_mode},
      {"best", &State::best},
      {"num_bad_epochs", &State::num_bad_epochs},
      {"mode_worse", &State::mode_worse},
      {"eps", &State::eps},
      {"last_epoch", &State::last_epoch},
  };
  return keys;
}

// PyTorch's _init_is_better: also what its load_state_dict runs, so mode_worse follows mode.
void ReduceLROnPlateau::State::init_is_better() {
  check(mode == "min" || mode == "max", "mode ", mode, " is unknown!");
  check(threshold_mode == "rel" || threshold_mode == "abs", "threshold mode ", threshold_mode,
        " is unknown!");
  mode_worse = mode == "min" ? std::numeric_limits<double>::infinity()
                             : -std::numeric_limits<double>::infinity();
}

std::vector<double> ReduceLROnPlateauOptions::min_lr_per_group(std::size_t n) const {
  if (!per_group_) return std::vector<double>(n, min_lr_.at(0));
  check(min_lr_.size() == n, "expected ", n, " min_lrs, got ", min_lr_.size());
  return min_lr_;
}

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, const ReduceLROnPlateauOptions& o)
    : optimizer_(optimizer) {
  check(o.factor() < 1.0, "Factor should be < 1.0.");
  state_.factor = o.factor();
  state_.min_lrs = o.min_lr_per_group(optimizer_.num_param_groups());
  state_.patience = o.patience();
  state_.verbose = o.verbose();
  state_.cooldown = o.cooldown();
  state_.mode = o.mode();
  state_.threshold = o.threshold();
  state_.threshold_mode = o.threshold_mode();
  state_.eps = o.eps();
  state_.init_is_better();
  state_.best = state_.mode_worse;
}

bool ReduceLROnPlateau::is_better(double a, double best) const {
  const State& s = state_;
  if (s.mode == "min" && s.threshold_mode == "rel") return a < best * (1.0 - s.threshold);
  if (s.mode == "min") return a < best - s.threshold;
  if (s.threshold_mode == "rel") return a > best * (s.threshold + 1.0);
  return a > best + s.threshold;
}

void ReduceLROnPlateau::step(double metric) {
  State& s = state_;
  ++s.last_epoch;
  if (is_better(metric, s.best)) {
    s.best = metric;
    s.num_bad_epochs = 0;
  } else {
    ++s.num_bad_epochs;
  }
  if (s.cooldown_counter > 0) {
    --s.cooldown_counter;
    s.num_bad_epochs = 0;  // bad epochs in cooldown don't count
  }
  if (s.num_bad_epochs > s.patience) {
    reduce_lr();
    s.cooldown_counter = s.cooldown;
    s.num_bad_epochs = 0;
  }
  last_lr_ = group_lrs();
  stepped_ = true;
}

void ReduceLROnPlateau::reduce_lr() {
  for (std::size_t i = 0; i < optimizer_.num_param_groups(); ++i) {
    const double old_lr = optimizer_.get_lr(i);
    const double new_lr = std::max(old_lr * state_.factor, state_.min_lrs[i]);
    if (old_lr - new_lr > state_.eps) {
      optimizer_.set_lr(i, new_lr);
      if (state_.verbose) {
        std::printf("Epoch %05lld: reducing learning rate of group %zu to %.4e.\n",
                    static_cast<long long>(state_.last_epoch), i, new_lr);
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
  write_options(state_, dict);
  if (stepped_) dict.set("_last_lr", detail::number_list(last_lr_));
  return dict;
}

void ReduceLROnPlateau::load_state_dict(const Value& state_dict) {
  const std::string where = "ReduceLROnPlateau.load_state_dict: state dict";
  check(state_dict.is_dict(), where, " should be a dict, found a ", state_dict.kind_name());
  State loaded = state_;
  read_options(loaded, state_dict, where);
  check(loaded.min_lrs.size() == optimizer_.num_param_groups(), where, "['min_lrs'] has ",
        loaded.min_lrs.size(), " entries, expected one per parameter group (",
        optimizer_.num_param_groups(), ")");
  loaded.init_is_better();
  const bool stepped = state_dict.contains(Key(std::string("_last_lr")));
  std::vector<double> last_lr =
      stepped ? detail::read_number_list(state_dict, "_last_lr", where) : std::vector<double>{};

  state_ = std::move(loaded);
  last_lr_ = std::move(last_lr);
  stepped_ = stepped;
}

}  // namespace ember::optim
