// Optimizers against PyTorch: 20-step parameter trajectories of a small network for every SGD,
// Adam and AdamW variant (goldens from scripts/make_optim_goldens.py), and a checkpoint resume
// through state_dict that is bit-identical to an uninterrupted run.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ember/optim/optim.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"
#include "tests/golden.h"

using namespace ember;
using namespace ember::optim;
using json = nlohmann::json;

namespace {

const json& golden() { return testing::fixture_json("optim_golden.json"); }

Shape shape_of(const json& j) { return j.get<std::vector<std::int64_t>>(); }

// The golden network: loss = mean((tanh(x @ w1 + b1) @ w2 + b2 - y)^2), params w1 b1 w2 b2.
struct Network {
  Tensor x, y;
  std::vector<Tensor> params;

  explicit Network(Dtype dtype) {
    const json& net = golden()["network"];
    x = tensor(net["x"].get<std::vector<double>>(), shape_of(net["x_shape"]), dtype);
    y = tensor(net["y"].get<std::vector<double>>(), shape_of(net["y_shape"]), dtype);
    for (const json& p : net["params"]) {
      Tensor t = tensor(p["values"].get<std::vector<double>>(), shape_of(p["shape"]), dtype);
      params.push_back(t.requires_grad_());
    }
  }

  Tensor loss() const {
    Tensor h = tanh(matmul(x, params[0]) + params[1]);
    return mean(pow(matmul(h, params[2]) + params[3] - y, 2.0));
  }

  void train_step(Optimizer& opt) const {
    opt.zero_grad();
    loss().backward();
    opt.step();
  }
};

double number(const json& o, const char* key, double fallback) { return o.value(key, fallback); }
bool flag(const json& o, const char* key) { return o.value(key, false); }

SGDOptions sgd_options(const json& o) {
  return SGDOptions(o["lr"].get<double>())
      .momentum(number(o, "momentum", 0.0))
      .dampening(number(o, "dampening", 0.0))
      .weight_decay(number(o, "weight_decay", 0.0))
      .nesterov(flag(o, "nesterov"))
      .maximize(flag(o, "maximize"));
}

// AdamOptions or AdamWOptions, each with its own weight_decay default.
template <class Options>
Options adam_options(const json& o) {
  Options options(o["lr"].get<double>());
  std::pair<double, double> betas = options.betas();
  if (o.contains("betas")) betas = {o["betas"][0].get<double>(), o["betas"][1].get<double>()};
  return options.betas(betas)
      .eps(number(o, "eps", 1e-8))
      .weight_decay(number(o, "weight_decay", options.weight_decay()))
      .amsgrad(flag(o, "amsgrad"))
      .maximize(flag(o, "maximize"));
}

// An optimizer of type Opt over the golden case's groups, each with its complete options.
template <class Opt, class Options>
std::unique_ptr<Optimizer> make_groups(const json& c, const std::vector<Tensor>& params,
                                       Options (*options_from)(const json&), Options defaults) {
  std::vector<typename Opt::ParamGroup> groups;
  for (const json& g : c["groups"]) {
    std::vector<Tensor> ps;
    for (int i : g["params"]) ps.push_back(params[i]);
    groups.emplace_back(ps, options_from(g["options"]));
  }
  return std::make_unique<Opt>(groups, defaults);
}

// The optimizer of a golden case.
std::unique_ptr<Optimizer> make_optimizer(const json& c, const std::vector<Tensor>& params) {
  const std::string kind = c["optimizer"];
  if (kind == "SGD") return make_groups<SGD>(c, params, sgd_options, SGDOptions(0.1));
  if (kind == "Adam") return make_groups<Adam>(c, params, adam_options<AdamOptions>, AdamOptions());
  REQUIRE(kind == "AdamW");
  return make_groups<AdamW>(c, params, adam_options<AdamWOptions>, AdamWOptions());
}

Dtype dtype_of(const json& c) { return c["dtype"] == "float64" ? kFloat64 : kFloat32; }

double rel_err(double a, double b) { return std::abs(a - b) / std::abs(b); }

// The relative error of one parameter tensor: max |got - want| / max |want|, want being
// want_all[offset, offset + got.size()). Per tensor rather than per element, because an element
// that crosses zero during training (1e-5 at some step) has a float32 rounding error of the
// tensor's scale (~1e-8), not of its own.
double tensor_rel_err(const std::vector<double>& got, const std::vector<double>& want_all,
                      std::size_t offset) {
  double diff = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    diff = std::max(diff, std::abs(got[i] - want_all[offset + i]));
    scale = std::max(scale, std::abs(want_all[offset + i]));
  }
  return diff / scale;
}

}  // namespace

TEST_CASE("optim: 20-step trajectories equal PyTorch's (SGD, Adam, AdamW; float64 and float32)") {
  double worst[2] = {0.0, 0.0};  // float64, float32
  for (const json& c : golden()["optimizers"]) {
    const Dtype dtype = dtype_of(c);
    const double tolerance = dtype == kFloat64 ? 1e-6 : 1e-5;
    CAPTURE(c["name"].get<std::string>());
    CAPTURE(c["dtype"].get<std::string>());
    Network net(dtype);
    std::unique_ptr<Optimizer> opt = make_optimizer(c, net.params);
    double case_worst = 0.0;
    const json& trajectory = c["trajectory"];
    for (std::size_t step = 0; step < trajectory.size(); ++step) {
      const double loss = net.loss().item();
      CHECK(rel_err(loss, c["losses"][step].get<double>()) <= tolerance);
      net.train_step(*opt);
      const std::vector<double> want = trajectory[step].get<std::vector<double>>();
      std::size_t offset = 0;
      for (const Tensor& p : net.params) {
        const std::vector<double> got = p.to_vector<double>();
        REQUIRE(offset + got.size() <= want.size());
        case_worst = std::max(case_worst, tensor_rel_err(got, want, offset));
        offset += got.size();
      }
      REQUIRE(offset == want.size());
    }
    CHECK_MESSAGE(case_worst <= tolerance, "max relative error ", case_worst);
    double& w = worst[dtype == kFloat64 ? 0 : 1];
    w = std::max(w, case_worst);
  }
  MESSAGE("max relative error over all optimizer trajectories: float64 ", worst[0],
          ", float32 ", worst[1]);
}

namespace {

// Clones every tensor in a Value, so that the copy shares no memory with the original.
void deep_copy_tensors(Value& v) {
  if (v.is_tensor()) {
    v = Value(v.as_tensor().clone());
  } else if (v.is_sequence()) {
    for (Value& item : v.items()) deep_copy_tensors(item);
  } else if (v.is_dict()) {
    for (Value& item : v.values()) deep_copy_tensors(item);
  }
}

Value deep_copy(const Value& v) {
  Value copy = v;
  deep_copy_tensors(copy);
  return copy;
}

// Every tensor of a Value, depth first.
void collect_tensors(const Value& v, std::vector<Tensor>& out) {
  if (v.is_tensor()) out.push_back(v.as_tensor());
  if (v.is_sequence()) {
    for (const Value& item : v.items()) collect_tensors(item, out);
  }
  if (v.is_dict()) {
    for (const Value& item : v.values()) collect_tensors(item, out);
  }
}

}  // namespace

TEST_CASE("optim: resuming from state_dict after 10 steps equals 20 uninterrupted steps, bit for bit") {
  const char* cases[] = {"sgd_nesterov", "sgd_weight_decay", "sgd_groups", "adam_amsgrad",
                         "adam_groups", "adamw", "adamw_amsgrad"};
  for (const char* name : cases) {
    for (const char* dtype_name : {"float32", "float64"}) {
      CAPTURE(name);
      CAPTURE(dtype_name);
      const json* found = nullptr;
      for (const json& c : golden()["optimizers"]) {
        if (c["name"] == name && c["dtype"] == dtype_name) found = &c;
      }
      REQUIRE(found != nullptr);
      const json& c = *found;

      // Uninterrupted: 20 steps, saving the optimizer (deep copy, as a file would) and the
      // weights after 10.
      Network a(dtype_of(c));
      std::unique_ptr<Optimizer> opt_a = make_optimizer(c, a.params);
      for (int i = 0; i < 10; ++i) a.train_step(*opt_a);
      const Value saved = deep_copy(opt_a->state_dict());
      const Value saved_again = deep_copy(saved);  // to show `saved` is never modified
      std::vector<Tensor> saved_weights;
      for (const Tensor& p : a.params) saved_weights.push_back(p.detach().clone());
      for (int i = 0; i < 10; ++i) a.train_step(*opt_a);

      // Resumed: a fresh model and optimizer, the weights copied over, the state loaded.
      Network b(dtype_of(c));
      {
        NoGradGuard no_grad;
        for (std::size_t i = 0; i < b.params.size(); ++i) b.params[i].copy_(saved_weights[i]);
      }
      std::unique_ptr<Optimizer> opt_b = make_optimizer(c, b.params);
      opt_b->load_state_dict(saved);

      // The loaded state is a copy: no tensor of opt_b's state shares storage with `saved`.
      std::vector<Tensor> loaded, source;
      collect_tensors(opt_b->state_dict(), loaded);
      collect_tensors(saved, source);
      REQUIRE(loaded.size() == source.size());
      for (const Tensor& l : loaded) {
        for (const Tensor& s : source) CHECK(l.storage() != s.storage());
      }

      for (int i = 0; i < 10; ++i) b.train_step(*opt_b);
      for (std::size_t i = 0; i < a.params.size(); ++i) {
        CHECK(equal(a.params[i].detach(), b.params[i].detach()));
      }
      // Both optimizers end in the same state, and `saved` still holds the step-10 state.
      std::vector<Tensor> end_a, end_b, before, after;
      collect_tensors(opt_a->state_dict(), end_a);
      collect_tensors(opt_b->state_dict(), end_b);
      REQUIRE(end_a.size() == end_b.size());
      for (std::size_t i = 0; i < end_a.size(); ++i) CHECK(equal(end_a[i], end_b[i]));
      collect_tensors(saved, before);
      collect_tensors(saved_again, after);
      for (std::size_t i = 0; i < before.size(); ++i) CHECK(equal(before[i], after[i]));
    }
  }
}
