// ReduceLROnPlateau: lowers the learning rate when a metric stops improving, as
// torch.optim.lr_scheduler.ReduceLROnPlateau (PyTorch 1.13).
// https://pytorch.org/docs/1.13/generated/torch.optim.lr_scheduler.ReduceLROnPlateau.html
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ember/core/arg.h"
#include "ember/optim/optimizer.h"
#include "ember/optim/option_keys.h"
#include "ember/core/value.h"

namespace ember::optim {

// ReduceLROnPlateauOptions().mode("max").factor(0.5).patience(3): PyTorch's arguments, names
// and defaults.
struct ReduceLROnPlateauOptions {
  // Lower bound of the lr: one for all groups (min_lr), or one per group (PyTorch's min_lr
  // given a list, which its state_dict calls min_lrs).
  ReduceLROnPlateauOptions& min_lr(double v) { min_lr_ = {v}; per_group_ = false; return *this; }
  ReduceLROnPlateauOptions& min_lrs(std::vector<double> v) {
    min_lr_ = std::move(v);
    per_group_ = true;
    return *this;
  }

  // The lower bound of each of n groups; Error if min_lrs gave another number of them.
  std::vector<double> min_lr_per_group(std::size_t n) const;

  // "min": the metric should decrease (a loss); "max": increase (an accuracy).
  EMBER_ARG(std::string, mode) = "min";
  // new_lr = lr * factor (< 1).
  EMBER_ARG(double, factor) = 0.1;
  // Epochs without improvement tolerated before the lr is reduced.
  EMBER_ARG(std::int64_t, patience) = 10;
  // Improvement means better than best * (1 -/+ threshold) ("rel") or best -/+ threshold ("abs").
  EMBER_ARG(double, threshold) = 1e-4;
  EMBER_ARG(std::string, threshold_mode) = "rel";
  // Epochs to wait after a reduction before counting bad epochs again.
  EMBER_ARG(std::int64_t, cooldown) = 0;
  // Reductions smaller than eps are skipped.
  EMBER_ARG(double, eps) = 1e-8;
  EMBER_ARG(bool, verbose) = false;

 private:
  std::vector<double> min_lr_{0.0};
  bool per_group_ = false;
};

// Call step(metric) once per epoch with the validation metric. The scheduler refers to the
// optimizer, which must outlive it.
class ReduceLROnPlateau {
 public:
  explicit ReduceLROnPlateau(Optimizer& optimizer,
                             const ReduceLROnPlateauOptions& options = ReduceLROnPlateauOptions());

  void step(double metric);
  // The learning rate of every group after the last step (the current ones before any step).
  std::vector<double> get_last_lr() const;
  std::int64_t last_epoch() const { return state_.last_epoch; }
  double best() const { return state_.best; }
  std::int64_t num_bad_epochs() const { return state_.num_bad_epochs; }

  // PyTorch's state_dict: every attribute but the optimizer (State's table gives the keys and
  // their order), and _last_lr once step() has run.
  Value state_dict() const;
  // Reads everything before changing anything: an Error leaves the scheduler as it was.
  void load_state_dict(const Value& state_dict);

 private:
  // The attributes PyTorch's ReduceLROnPlateau saves, with its names.
  struct State {
    double factor;
    std::vector<double> min_lrs;
    std::int64_t patience;
    bool verbose;
    std::int64_t cooldown;
    std::int64_t cooldown_counter = 0;
    std::string mode;
    double threshold;
    std::string threshold_mode;
    double best;
    std::int64_t num_bad_epochs = 0;
    double mode_worse;  // +inf for "min", -inf for "max"
    double eps;
    std::int64_t last_epoch = 0;

    // {key, member} in PyTorch's order; state_dict writes them, load_state_dict reads them.
    static const std::vector<OptionKey<State>>& keys();
    // Error unless mode and threshold_mode are ones PyTorch knows; sets mode_worse from mode.
    void init_is_better();
  };

  bool is_better(double a, double best) const;
  void reduce_lr();
  std::vector<double> group_lrs() const;

  Optimizer& optimizer_;
  State state_;
  std::vector<double> last_lr_;
  bool stepped_ = false;  // whether _last_lr exists yet
};

}  // namespace ember::optim
