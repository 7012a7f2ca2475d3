// Learning-rate schedulers that change the lr of an optimizer's parameter groups once per
// epoch: StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, in the recursive ("chainable")
// form of torch/optim/lr_scheduler.py (PyTorch 1.13), so that the numbers match PyTorch's.
// ReduceLROnPlateau, which reacts to a metric instead, is in optim/reduce_lr_on_plateau.h.
// https://pytorch.org/docs/1.13/optim.html#how-to-adjust-learning-rate
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ember/core/arg.h"
#include "ember/optim/optimizer.h"
#include "ember/core/value.h"

namespace ember::optim {

// The base of the epoch-driven schedulers (PyTorch's _LRScheduler). Constructing one sets
// group['initial_lr'] (when last_epoch == -1) and takes the initial step, as PyTorch does, so
// get_last_lr() is the epoch-0 learning rate right away. Call step() once per epoch, after
// optimizer.step(). The scheduler refers to the optimizer, which must outlive it.
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  void step();
  // The learning rate of every group, as the last step() set it.
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  std::int64_t last_epoch() const { return last_epoch_; }
  const std::vector<double>& base_lrs() const { return base_lrs_; }

  // The scheduler's own fields, then base_lrs, last_epoch, verbose, _step_count,
  // _get_lr_called_within_step, _last_lr: the keys and order of PyTorch's state_dict.
  Value state_dict() const;
  void load_state_dict(const Value& state_dict);

 protected:
  // name is the class name, for messages.
  LRScheduler(Optimizer& optimizer, std::int64_t last_epoch, bool verbose, std::string name);
  // PyTorch's _initial_step; derived constructors call it last, once their fields are set
  // (get_lr is virtual, so the base constructor cannot).
  void initial_step();
  // The new lr of every group, computed from the current ones (the chainable form).
  virtual std::vector<double> get_lr() const = 0;
  virtual void write_fields(Value& dict) const = 0;
  virtual void read_fields(const Value& dict, const std::string& where) = 0;

  std::vector<double> group_lrs() const;
  const std::string& name() const { return name_; }

  Optimizer& optimizer_;
  std::int64_t last_epoch_;
  std::vector<double> base_lrs_;
  std::int64_t step_count_ = 0;
  bool verbose_;
  std::vector<double> last_lr_;

 private:
  std::string name_;
};

// A scheduler whose own state_dict fields are the keys of its options (option_keys.h): all
// but MultiStepLR. Options provides keys(), validate(), last_epoch() and verbose().
template <class Options>
class LRSchedulerWithOptions : public LRScheduler {
 protected:
  LRSchedulerWithOptions(Optimizer& optimizer, const Options& options, std::string name)
      : LRScheduler(optimizer, options.last_epoch(), options.verbose(), std::move(name)),
        options_(options) {
    options_.validate();
  }

  void write_fields(Value& dict) const override { write_options(options_, dict); }
  void read_fields(const Value& dict, const std::string& where) override {
    Options loaded = options_;
    read_options(loaded, dict, where);
    loaded.validate();
    options_ = loaded;
  }

  Options options_;
};

// The schedulers' options hold PyTorch's arguments, with its names and defaults. Each takes
// the required ones in its constructor, which is implicit so that StepLR(optimizer, 30) is
// short for StepLR(optimizer, StepLROptions(30)); the rest are chainable setters:
//   StepLR(optimizer, StepLROptions(30).gamma(0.5).last_epoch(9))
// last_epoch = -1 starts a new schedule; another value resumes one (the groups then need
// 'initial_lr', from the optimizer's load_state_dict). verbose prints each change of the lr.

struct StepLROptions {
  StepLROptions(std::int64_t step_size) : step_size_(step_size) {}

  void validate() const;
  static const std::vector<OptionKey<StepLROptions>>& keys();

  EMBER_ARG(std::int64_t, step_size);
  EMBER_ARG(double, gamma) = 0.1;
  EMBER_ARG(std::int64_t, last_epoch) = -1;
  EMBER_ARG(bool, verbose) = false;
};

// Multiplies the lr by gamma every step_size epochs.
class StepLR : public LRSchedulerWithOptions<StepLROptions> {
 public:
  StepLR(Optimizer& optimizer, const StepLROptions& options);

 protected:
  std::vector<double> get_lr() const override;
};

struct MultiStepLROptions {
  MultiStepLROptions(std::vector<std::int64_t> milestones) : milestones_(std::move(milestones)) {}

  EMBER_ARG(std::vector<std::int64_t>, milestones);
  EMBER_ARG(double, gamma) = 0.1;
  EMBER_ARG(std::int64_t, last_epoch) = -1;
  EMBER_ARG(bool, verbose) = false;
};

// Multiplies the lr by gamma at each milestone epoch (by gamma^k for a milestone listed k
// times). The state_dict holds milestones as a dict {epoch: count}; PyTorch's is a Counter,
// which PyTorch's MultiStepLR.step() reads the same way.
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, const MultiStepLROptions& options);

 protected:
  std::vector<double> get_lr() const override;
  void write_fields(Value& dict) const override;
  void read_fields(const Value& dict, const std::string& where) override;

 private:
  std::vector<std::pair<std::int64_t, std::int64_t>> milestones_;  // (epoch, count), as given
  double gamma_;
};

struct ExponentialLROptions {
  ExponentialLROptions(double gamma) : gamma_(gamma) {}

  void validate() const {}
  static const std::vector<OptionKey<ExponentialLROptions>>& keys();

  EMBER_ARG(double, gamma);
  EMBER_ARG(std::int64_t, last_epoch) = -1;
  EMBER_ARG(bool, verbose) = false;
};

// Multiplies the lr by gamma every epoch.
class ExponentialLR : public LRSchedulerWithOptions<ExponentialLROptions> {
 public:
  ExponentialLR(Optimizer& optimizer, const ExponentialLROptions& options);

 protected:
  std::vector<double> get_lr() const override;
};

struct CosineAnnealingLROptions {
  CosineAnnealingLROptions(std::int64_t T_max) : T_max_(T_max) {}

  void validate() const;
  static const std::vector<OptionKey<CosineAnnealingLROptions>>& keys();

  EMBER_ARG(std::int64_t, T_max);
  EMBER_ARG(double, eta_min) = 0.0;
  EMBER_ARG(std::int64_t, last_epoch) = -1;
  EMBER_ARG(bool, verbose) = false;
};

// Anneals the lr from its initial value to eta_min along half a cosine over T_max epochs,
// then back up (SGDR without restarts):
//   lr_t = eta_min + (lr_0 - eta_min) * (1 + cos(pi * t / T_max)) / 2
// computed recursively from the previous lr, as PyTorch does, so that the numbers agree.
class CosineAnnealingLR : public LRSchedulerWithOptions<CosineAnnealingLROptions> {
 public:
  CosineAnnealingLR(Optimizer& optimizer, const CosineAnnealingLROptions& options);

 protected:
  std::vector<double> get_lr() const override;
};

}  // namespace ember::optim
