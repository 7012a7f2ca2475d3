// LR schedulers against PyTorch: learning-rate sequences of two parameter groups over 25
// epochs, and the state_dict's keys and values, for StepLR, MultiStepLR, ExponentialLR,
// CosineAnnealingLR and ReduceLROnPlateau (goldens from scripts/make_optim_goldens.py).
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ember/optim/optim.h"
#include "ember/tensor/factories.h"
#include "tests/golden.h"

using namespace ember;
using namespace ember::optim;
using json = nlohmann::json;

namespace {

const json& golden() { return testing::fixture_json("optim_golden.json"); }

// Two groups of one parameter each, with lr 0.1 and 0.05, as in the golden script.
struct TwoGroups {
  Tensor w = zeros({2}).requires_grad_();
  Tensor v = zeros({2}).requires_grad_();
  SGD opt{{ParamGroup({w}, SGDOptions(0.1)), ParamGroup({v}, SGDOptions(0.05))},
          SGDOptions(0.1)};

  std::vector<double> lrs() const {
    return {opt.param_groups()[0].options->lr(), opt.param_groups()[1].options->lr()};
  }
};

std::unique_ptr<LRScheduler> make_scheduler(const json& c, Optimizer& opt) {
  const std::string kind = c["scheduler"];
  const json& a = c["args"];
  const double gamma = a.value("gamma", 0.1);
  if (kind == "StepLR") {
    return std::make_unique<StepLR>(
        opt, StepLROptions(a["step_size"].get<std::int64_t>()).gamma(gamma));
  }
  if (kind == "MultiStepLR") {
    const auto milestones = a["milestones"].get<std::vector<std::int64_t>>();
    return std::make_unique<MultiStepLR>(opt, MultiStepLROptions(milestones).gamma(gamma));
  }
  if (kind == "ExponentialLR") return std::make_unique<ExponentialLR>(opt, gamma);
  REQUIRE(kind == "CosineAnnealingLR");
  const auto T_max = a["T_max"].get<std::int64_t>();
  return std::make_unique<CosineAnnealingLR>(
      opt, CosineAnnealingLROptions(T_max).eta_min(a.value("eta_min", 0.0)));
}

ReduceLROnPlateauOptions plateau_options(const json& a) {
  return ReduceLROnPlateauOptions()
      .mode(a.value("mode", std::string("min")))
      .factor(a.value("factor", 0.1))
      .patience(a.value("patience", 10))
      .threshold(a.value("threshold", 1e-4))
      .threshold_mode(a.value("threshold_mode", std::string("rel")))
      .cooldown(a.value("cooldown", 0))
      .min_lr(a.value("min_lr", 0.0))
      .eps(a.value("eps", 1e-8));
}

double rel_err(double a, double b) {
  if (a == b) return 0.0;
  return std::abs(a - b) / std::max(std::abs(b), 1e-300);
}

// Compares a Value with the golden JSON form of a PyTorch state_dict entry (dicts as lists of
// [key, value] pairs, infinities as "inf"). Returns "" or what differs.
std::string mismatch(const Value& v, const json& j, const std::string& path) {
  if (j.is_boolean()) {
    return v.is_bool() && v.as_bool() == j.get<bool>() ? "" : path + ": expected a bool";
  }
  if (j.is_number_integer()) {
    return v.is_int() && v.as_int() == j.get<std::int64_t>() ? "" : path + ": expected int " + j.dump();
  }
  if (j.is_number_float()) {
    return v.is_double() && rel_err(v.as_double(), j.get<double>()) <= 1e-12
               ? ""
               : path + ": expected float " + j.dump();
  }
  if (j.is_string()) {
    const std::string s = j;
    if ((s == "inf" || s == "-inf") && v.is_double()) {
      return std::isinf(v.as_double()) && (v.as_double() > 0) == (s == "inf") ? "" : path + ": expected " + s;
    }
    return v.is_string() && v.as_string() == s ? "" : path + ": expected string " + s;
  }
  if (j.is_array() && v.is_dict()) {
    if (v.size() != j.size()) return path + ": expected " + std::to_string(j.size()) + " keys";
    for (std::size_t i = 0; i < j.size(); ++i) {
      const Key& key = v.keys()[i];
      const json& jkey = j[i][0];
      const bool same_key = jkey.is_string() ? key == Key(jkey.get<std::string>())
                                             : key == Key(jkey.get<std::int64_t>());
      if (!same_key) return path + ": key " + std::to_string(i) + " should be " + jkey.dump();
      std::string m = mismatch(v.values()[i], j[i][1], path + "[" + jkey.dump() + "]");
      if (!m.empty()) return m;
    }
    return "";
  }
  if (j.is_array() && v.is_sequence()) {
    if (v.size() != j.size()) return path + ": expected " + std::to_string(j.size()) + " items";
    for (std::size_t i = 0; i < j.size(); ++i) {
      std::string m = mismatch(v.items()[i], j[i], path + "[" + std::to_string(i) + "]");
      if (!m.empty()) return m;
    }
    return "";
  }
  return path + ": unexpected kind " + v.kind_name() + " for " + j.dump();
}

}  // namespace

TEST_CASE("optim: LR scheduler sequences and state_dicts equal PyTorch's") {
  double worst = 0.0;
  for (const json& c : golden()["schedulers"]) {
    CAPTURE(c["name"].get<std::string>());
    TwoGroups net;
    const bool plateau = c["scheduler"] == "ReduceLROnPlateau";
    std::unique_ptr<LRScheduler> sched;
    std::unique_ptr<ReduceLROnPlateau> plateau_sched;
    if (plateau) {
      plateau_sched = std::make_unique<ReduceLROnPlateau>(net.opt, plateau_options(c["args"]));
    } else {
      sched = make_scheduler(c, net.opt);
    }
    const json& lrs = c["lrs"];
    for (std::size_t step = 0; step < lrs.size(); ++step) {
      if (step > 0) {
        net.opt.step();
        if (plateau) {
          plateau_sched->step(c["metrics"][step - 1].get<double>());
        } else {
          sched->step();
        }
      }
      const std::vector<double> got = net.lrs();
      const std::vector<double> last = plateau ? plateau_sched->get_last_lr() : sched->get_last_lr();
      for (std::size_t g = 0; g < 2; ++g) {
        const double want = lrs[step][g].get<double>();
        worst = std::max(worst, rel_err(got[g], want));
        CHECK(rel_err(got[g], want) <= 1e-12);
        CHECK(last[g] == got[g]);
      }
    }
    const Value state = plateau ? plateau_sched->state_dict() : sched->state_dict();
    CHECK_MESSAGE(mismatch(state, c["state_dict"], "state_dict") == "", mismatch(state, c["state_dict"], "state_dict"));
  }
  MESSAGE("max relative error over all LR sequences: ", worst);
}

TEST_CASE("optim: a scheduler resumed from its state_dict continues the same sequence") {
  TwoGroups a;
  CosineAnnealingLR sched_a(a.opt, CosineAnnealingLROptions(7).eta_min(0.001));
  for (int i = 0; i < 5; ++i) sched_a.step();
  const Value sched_state = sched_a.state_dict();
  const Value opt_state = a.opt.state_dict();

  TwoGroups b;
  b.opt.load_state_dict(opt_state);  // restores lr and initial_lr of both groups
  CHECK(b.opt.param_groups()[0].initial_lr == 0.1);
  CosineAnnealingLR sched_b(b.opt, CosineAnnealingLROptions(7).eta_min(0.001).last_epoch(4));
  sched_b.load_state_dict(sched_state);
  // load_state_dict sets the scheduler's fields but, as in PyTorch, leaves the optimizer's lr.
  b.opt.load_state_dict(opt_state);
  for (int i = 0; i < 12; ++i) {
    sched_a.step();
    sched_b.step();
    CHECK(sched_a.get_last_lr() == sched_b.get_last_lr());
  }
  CHECK(sched_b.last_epoch() == 17);

  TwoGroups c;
  ReduceLROnPlateau plateau_c(c.opt, ReduceLROnPlateauOptions().patience(0).factor(0.5));
  plateau_c.step(1.0);
  plateau_c.step(2.0);
  TwoGroups d;
  ReduceLROnPlateau plateau_d(d.opt);
  plateau_d.load_state_dict(plateau_c.state_dict());
  d.opt.load_state_dict(c.opt.state_dict());
  plateau_c.step(3.0);
  plateau_d.step(3.0);
  CHECK(plateau_c.get_last_lr() == plateau_d.get_last_lr());
  CHECK(plateau_d.get_last_lr()[0] == doctest::Approx(0.025));
  CHECK(plateau_d.best() == 1.0);
}

TEST_CASE("optim: LR scheduler errors") {
  TwoGroups net;
  CHECK_THROWS_WITH_AS(StepLR(net.opt, StepLROptions(3).gamma(0.1).last_epoch(5)),
                       "StepLR: param 'initial_lr' is not specified in param_groups[0] when "
                       "resuming an optimizer (last_epoch = 5)",
                       Error);
  CHECK_THROWS_WITH_AS(ReduceLROnPlateau(net.opt, ReduceLROnPlateauOptions().factor(1.0)),
                       "Factor should be < 1.0.", Error);
  CHECK_THROWS_WITH_AS(ReduceLROnPlateau(net.opt, ReduceLROnPlateauOptions().mode("lowest")),
                       "mode lowest is unknown!", Error);
  CHECK_THROWS_WITH_AS(
      ReduceLROnPlateau(net.opt, ReduceLROnPlateauOptions().threshold_mode("relative")),
      "threshold mode relative is unknown!", Error);
  CHECK_THROWS_WITH_AS(ReduceLROnPlateau(net.opt, ReduceLROnPlateauOptions().min_lrs({0.1})),
                       "expected 2 min_lrs, got 1", Error);

  StepLR sched(net.opt, 3);
  Value state = sched.state_dict();
  Value no_epoch = Value::dict();
  for (std::size_t i = 0; i < state.size(); ++i) {
    if (state.keys()[i] != Key(std::string("last_epoch"))) {
      no_epoch.set(state.keys()[i], state.values()[i]);
    }
  }
  CHECK_THROWS_WITH_AS(sched.load_state_dict(no_epoch),
                       "StepLR.load_state_dict: state dict has no key 'last_epoch'", Error);
  Value one_lr = state;
  one_lr.set("base_lrs", Value::list({0.1}));
  CHECK_THROWS_WITH_AS(sched.load_state_dict(one_lr),
                       "StepLR.load_state_dict: state dict['base_lrs'] has 1 entries, expected "
                       "one per parameter group (2)",
                       Error);
  ReduceLROnPlateau plateau(net.opt);
  Value bad_mode = plateau.state_dict();
  bad_mode.set("mode", "sideways");
  CHECK_THROWS_WITH_AS(plateau.load_state_dict(bad_mode), "mode sideways is unknown!", Error);
}
