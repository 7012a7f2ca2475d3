// ReduceLROnPlateau: lowers the learning rate when a metric stops improving, as
// torch.optim.lr_scheduler.ReduceLROnPlateau (PyTorch 1.13).
// https://pytorch.org/docs/1.13/generated/torch.optim.lr_scheduler.ReduceLROnPlateau.html
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ember/optim/optimizer.h"
#include "ember/core/value.h"

namespace ember::optim {

// ReduceLROnPlateauOptions().mode("max").factor(0.5).patience(3): PyTorch's arguments, names
// and defaults.
class ReduceLROnPlateauOptions {
 public:
  // "min": the metric should decrease (a loss); "max": increase (an accuracy).
  ReduceLROnPlateauOptions& mode(std::string v) { mode_ = std::move(v); return *this; }
  // new_lr = lr * factor (< 1).
  ReduceLROnPlateauOptions& factor(double v) { factor_ = v; return *this; }
  // Epochs without improvement tolerated before the lr is reduced.
  ReduceLROnPlateauOptions& patience(std::int64_t v) { patience_ = v; return *this; }
  // Improvement means better than best * (1 -/+ threshold) ("rel") or best -/+ threshold ("abs").
  ReduceLROnPlateauOptions& threshold(double v) { threshold_ = v; return *this; }
  ReduceLROnPlateauOptions& threshold_mode(std::string v) {
    threshold_mode_ = std::move(v);
    return *this;
  }
  // Epochs to wait after a reduction before counting bad epochs again.
  ReduceLROnPlateauOptions& cooldown(std::int64_t v) { cooldown_ = v; return *this; }
  // Lower bound of the lr: one for all groups (min_lr), or one per group (PyTorch's min_lr
  // given a list, which its state_dict calls min_lrs).
  ReduceLROnPlateauOptions& min_lr(double v) { min_lr_ = {v}; per_group_ = false; return *this; }
  ReduceLROnPlateauOptions& min_lrs(std::vector<double> v) {
    min_lr_ = std::move(v);
    per_group_ = true;
    return *this;
  }
  // Reductions smaller than eps are skipped.
  ReduceLROnPlateauOptions& eps(double v) { eps_ = v; return *this; }
  ReduceLROnPlateauOptions& verbose(bool v) { verbose_ = v; return *this; }

  const std::string& mode() const { return mode_; }
  double factor() const { return factor_; }
  std::int64_t patience() const { return patience_; }
  double threshold() const { return threshold_; }
  const std::string& threshold_mode() const { return threshold_mode_; }
  std::int64_t cooldown() const { return cooldown_; }
  // The lower bound of each of n groups; Error if min_lrs gave another number of them.
  std::vector<double> min_lr_per_group(std::size_t n) const;
  double eps() const { return eps_; }
  bool verbose() const { return verbose_; }

 private:
  std::string mode_ = "min";
  double factor_ = 0.1;
  std::int64_t patience_ = 10;
  double threshold_ = 1e-4;
  std::string threshold_mode_ = "rel";
  std::int64_t cooldown_ = 0;
  std::vector<double> min_lr_{0.0};
  bool per_group_ = false;
  double eps_ = 1e-8;
  bool verbose_ = false;
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
  std::int64_t last_epoch() const { return last_epoch_; }
  double best() const { return best_; }
  std::int64_t num_bad_epochs() const { return num_bad_epochs_; }

  // PyTorch's keys and order: factor, min_lrs, patience, verbose, cooldown, cooldown_counter,
  // mode, threshold, threshold_mode, best, num_bad_epochs, mode_worse, eps, last_epoch, and
  // _last_lr once step() has run.
  Value state_dict() const;
  void load_state_dict(const Value& state_dict);

 private:
  bool is_better(double a, double best) const;
  void reduce_lr();
  std::vector<double> group_lrs() const;
  static void check_modes(const std::string& mode, const std::string& threshold_mode);

  Optimizer& optimizer_;
  double factor_;
  std::vector<double> min_lrs_;
  std::int64_t patience_;
  bool verbose_;
  std::int64_t cooldown_;
  std::int64_t cooldown_counter_ = 0;
  std::string mode_;
  double threshold_;
  std::string threshold_mode_;
  double best_;
  std::int64_t num_bad_epochs_ = 0;
  double mode_worse_;  // +inf for "min", -inf for "max"
  double eps_;
  std::int64_t last_epoch_ = 0;
  std::vector<double> last_lr_;
  bool stepped_ = false;  // whether _last_lr exists yet
};

}  // namespace ember::optim
