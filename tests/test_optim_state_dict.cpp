// Optimizer state_dict structure against PyTorch (the tutorial's TheModelClass with
// SGD(lr=1e-3, momentum=0.9) after one step), parameter groups, zero_grad, and the errors
// for bad hyperparameters and bad state dicts.
#include <doctest/doctest.h>

#include <fstream>
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

// The Python type name of a Value, as the golden script's describe() writes it.
std::string python_type(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::none: return "None";
    case Value::Kind::boolean: return "bool";
    case Value::Kind::integer: return "int";
    case Value::Kind::real: return "float";
    case Value::Kind::string: return "str";
    case Value::Kind::tensor: return "Tensor";
    case Value::Kind::list: return "list";
    case Value::Kind::tuple: return "tuple";
    case Value::Kind::dict: return "dict";
    case Value::Kind::object: return "object";
  }
  return "?";
}

// Checks a Value against describe()'s {"type", "value" | "shape"/"dtype" | "items"}.
void check_described(const Value& v, const json& d, const std::string& path) {
  CAPTURE(path);
  REQUIRE(python_type(v) == d["type"].get<std::string>());
  if (v.is_bool()) CHECK(v.as_bool() == d["value"].get<bool>());
  if (v.is_int()) CHECK(v.as_int() == d["value"].get<std::int64_t>());
  if (v.is_double()) CHECK(v.as_double() == d["value"].get<double>());
  if (v.is_tensor()) {
    CHECK(v.as_tensor().shape() == d["shape"].get<Shape>());
    CHECK(dtype_name(v.as_tensor().dtype()) == d["dtype"].get<std::string>());
  }
  if (v.is_sequence()) {
    REQUIRE(v.size() == d["items"].size());
    for (std::size_t i = 0; i < v.size(); ++i) {
      check_described(v.items()[i], d["items"][i], path + "[" + std::to_string(i) + "]");
    }
  }
}

std::vector<Tensor> leaves(const std::vector<Shape>& shapes, Dtype dtype = kFloat32) {
  std::vector<Tensor> out;
  for (const Shape& s : shapes) out.push_back(randn(s, dtype).requires_grad_());
  return out;
}

void set_grads(const std::vector<Tensor>& params, double value) {
  for (const Tensor& p : params) p.set_grad(full(p.shape(), value, p.dtype()));
}

Value without_key(const Value& dict, const std::string& key) {
  Value out = Value::dict();
  for (std::size_t i = 0; i < dict.size(); ++i) {
    if (dict.keys()[i] != Key(key)) out.set(dict.keys()[i], dict.values()[i]);
  }
  return out;
}

}  // namespace

TEST_CASE("optim: TheModelClass SGD(lr=1e-3, momentum=0.9) state_dict matches PyTorch's") {
  const json& g = golden()["the_model"];
  std::vector<Tensor> params = leaves(g["param_shapes"].get<std::vector<Shape>>());
  REQUIRE(params.size() == 10);
  SGD opt(params, SGDOptions(1e-3).momentum(0.9));
  CHECK(opt.state_dict().at("state").size() == 0);  // no state before the first step
  set_grads(params, 0.5);
  opt.step();
  const Value sd = opt.state_dict();
  REQUIRE(sd.keys() == std::vector<Key>{Key(std::string("state")), Key(std::string("param_groups"))});

  const Value& state = sd.at("state");
  REQUIRE(state.size() == g["state"].size());
  for (std::size_t i = 0; i < state.size(); ++i) {
    const json& want = g["state"][i];
    CHECK(state.keys()[i] == Key(want[0].get<std::int64_t>()));
    const Value& entry = state.values()[i];
    REQUIRE(entry.size() == want[1].size());
    for (std::size_t k = 0; k < entry.size(); ++k) {
      CHECK(entry.keys()[k] == Key(want[1][k][0].get<std::string>()));
      check_described(entry.values()[k], want[1][k][1], "state entry");
    }
  }
  // The first step sets the momentum buffer to the gradient itself.
  CHECK(equal(state.values()[0].at("momentum_buffer").as_tensor(), params[0].grad()));

  const Value& groups = sd.at("param_groups");
  REQUIRE(groups.size() == g["param_groups"].size());
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const Value& group = groups.items()[i];
    const json& want = g["param_groups"][i];
    REQUIRE(group.size() == want.size());
    for (std::size_t k = 0; k < group.size(); ++k) {
      CHECK(group.keys()[k] == Key(want[k][0].get<std::string>()));
      check_described(group.values()[k], want[k][1], want[k][0].get<std::string>());
    }
  }
}

TEST_CASE("optim: state_dict keys of Adam and AdamW follow PyTorch 1.13") {
  std::vector<Tensor> params = leaves({{2, 3}, {3}});
  auto group_keys = [](const Optimizer& opt) {
    std::vector<std::string> keys;
    const Value sd = opt.state_dict();
    for (const Key& k : sd.at("param_groups").items()[0].keys()) {
      keys.push_back(std::get<std::string>(k));
    }
    return keys;
  };
  Adam adam(params);
  CHECK(group_keys(adam) == std::vector<std::string>{"lr", "betas", "eps", "weight_decay",
                                                     "amsgrad", "maximize", "foreach",
                                                     "capturable", "differentiable", "fused",
                                                     "params"});
  AdamW adamw(params, AdamWOptions().amsgrad(true));
  CHECK(group_keys(adamw) == std::vector<std::string>{"lr", "betas", "eps", "weight_decay",
                                                      "amsgrad", "foreach", "maximize",
                                                      "capturable", "params"});
  params[0].set_grad(ones({2, 3}));  // params[1] has no gradient: no state, no update
  const Tensor before = params[1].detach().clone();
  adamw.step();
  const Value sd = adamw.state_dict();
  const Value& state = sd.at("state");
  REQUIRE(state.size() == 1);
  const Value& entry = state.at(Key(std::int64_t{0}));
  std::vector<std::string> keys;
  for (const Key& k : entry.keys()) keys.push_back(std::get<std::string>(k));
  CHECK(keys == std::vector<std::string>{"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"});
  CHECK(entry.at("step").as_tensor().dim() == 0);
  CHECK(entry.at("step").as_tensor().dtype() == kFloat32);
  CHECK(entry.at("step").as_tensor().item() == 1.0);
  CHECK(sd.at("param_groups").items()[0].at("betas").is_tuple());
  CHECK(sd.at("param_groups").items()[0].at("weight_decay").as_double() == 0.01);
  CHECK(equal(params[1].detach(), before));

  // SGD without momentum stores {'momentum_buffer': None}, as PyTorch does.
  SGD sgd(params, SGDOptions(0.1));
  sgd.step();
  const Value sgd_state = sgd.state_dict().at("state");
  REQUIRE(sgd_state.size() == 1);
  CHECK(sgd_state.at(Key(std::int64_t{0})).at("momentum_buffer").is_none());
}

TEST_CASE("optim: parameter groups, add_param_group, zero_grad") {
  std::vector<Tensor> p = leaves({{3}, {3}, {2}}, kFloat64);
  SGD opt({SGD::ParamGroup({p[0]}), SGD::ParamGroup({p[1]}, SGDOptions(0.5))}, SGDOptions(0.1));
  opt.add_param_group(ParamGroup({p[2]}, SGDOptions(0.01).momentum(0.9)));
  REQUIRE(opt.param_groups().size() == 3);
  CHECK(opt.param_groups()[0].options->lr() == 0.1);  // the defaults
  CHECK(opt.param_groups()[1].options->lr() == 0.5);

  const std::vector<Tensor> before = {p[0].detach().clone(), p[1].detach().clone(),
                                      p[2].detach().clone()};
  set_grads(p, 1.0);
  opt.step();
  CHECK(allclose(p[0].detach(), before[0] - 0.1, 0, 1e-15));
  CHECK(allclose(p[1].detach(), before[1] - 0.5, 0, 1e-15));
  CHECK(allclose(p[2].detach(), before[2] - 0.01, 0, 1e-15));
  const Value groups = opt.state_dict().at("param_groups");
  CHECK(groups.items()[1].at("params").items()[0].as_int() == 1);
  CHECK(groups.items()[2].at("params").items()[0].as_int() == 2);
  CHECK(groups.items()[2].at("momentum").as_double() == 0.9);

  opt.zero_grad(/*set_to_none=*/false);
  CHECK(p[0].grad().defined());
  CHECK(p[0].grad().sum().item() == 0.0);
  opt.zero_grad();
  CHECK(!p[0].grad().defined());
}

TEST_CASE("optim: invalid hyperparameters fail in the constructor with PyTorch's messages") {
  std::vector<Tensor> p = leaves({{2}});
  CHECK_THROWS_WITH_AS(SGD(p, SGDOptions(-0.1)), "Invalid learning rate: -0.1", Error);
  CHECK_THROWS_WITH_AS(SGD(p, SGDOptions(0.1).momentum(-0.5)), "Invalid momentum value: -0.5",
                       Error);
  CHECK_THROWS_WITH_AS(SGD(p, SGDOptions(0.1).weight_decay(-0.001)),
                       "Invalid weight_decay value: -0.001", Error);
  CHECK_THROWS_WITH_AS(SGD(p, SGDOptions(0.1).nesterov(true)),
                       "Nesterov momentum requires a momentum and zero dampening", Error);
  CHECK_THROWS_WITH_AS(SGD(p, SGDOptions(0.1).momentum(0.9).dampening(0.1).nesterov(true)),
                       "Nesterov momentum requires a momentum and zero dampening", Error);
  CHECK_THROWS_WITH_AS(Adam(p, AdamOptions(-1e-3)), "Invalid learning rate: -0.001", Error);
  CHECK_THROWS_WITH_AS(Adam(p, AdamOptions().eps(-1)), "Invalid epsilon value: -1", Error);
  CHECK_THROWS_WITH_AS(Adam(p, AdamOptions().betas({1.0, 0.999})),
                       "Invalid beta parameter at index 0: 1", Error);
  CHECK_THROWS_WITH_AS(AdamW(p, AdamWOptions().betas({0.9, -0.1})),
                       "Invalid beta parameter at index 1: -0.1", Error);
  CHECK_THROWS_WITH_AS(AdamW(p, AdamWOptions().weight_decay(-1)),
                       "Invalid weight_decay value: -1", Error);
  // A group's own options are checked too.
  SGD opt(p, SGDOptions(0.1));
  CHECK_THROWS_WITH_AS(opt.add_param_group(ParamGroup(leaves({{2}}), SGDOptions(-2))),
                       "Invalid learning rate: -2", Error);

  CHECK_THROWS_WITH_AS(SGD(std::vector<Tensor>{}, SGDOptions(0.1)),
                       "SGD: optimizer got an empty parameter list", Error);
  CHECK_THROWS_WITH_AS(SGD({SGD::ParamGroup(p), SGD::ParamGroup(p)}, SGDOptions(0.1)),
                       "SGD: some parameters appear in more than one parameter group", Error);
  Tensor non_leaf = p[0] * 2.0;
  CHECK_THROWS_WITH_AS(Adam({non_leaf}),
                       "Adam: can't optimize a non-leaf Tensor (parameter 0 of the new group has "
                       "grad_fn; pass a leaf, e.g. tensor.detach().requires_grad_())",
                       Error);
}

TEST_CASE("optim: load_state_dict rejects bad state dicts and leaves the optimizer unchanged") {
  std::vector<Tensor> p = leaves({{2, 3}, {3}});
  Adam source({Adam::ParamGroup({p[0]}), Adam::ParamGroup({p[1]})}, AdamOptions(0.01));
  set_grads(p, 1.0);
  source.step();
  const Value good = source.state_dict();

  std::vector<Tensor> q = leaves({{2, 3}, {3}});
  Adam one_group(q, AdamOptions(0.02));
  CHECK_THROWS_WITH_AS(one_group.load_state_dict(good),
                       "loaded state dict has a different number of parameter groups "
                       "(optimizer: 1, state dict: 2)",
                       Error);
  Adam swapped({Adam::ParamGroup({q[0], q[1]}), Adam::ParamGroup(leaves({{1}}))},
               AdamOptions(0.02));
  CHECK_THROWS_WITH_AS(swapped.load_state_dict(good),
                       "loaded state dict contains a parameter group that doesn't match the size "
                       "of optimizer's group (group 0: optimizer has 2 parameters, state dict 1)",
                       Error);

  Adam target({Adam::ParamGroup({q[0]}), Adam::ParamGroup({q[1]})}, AdamOptions(0.02));
  CHECK_THROWS_WITH_AS(target.load_state_dict(without_key(good, "param_groups")),
                       "Adam.load_state_dict: the state dict has no key 'param_groups'", Error);
  CHECK_THROWS_WITH_AS(target.load_state_dict(Value(3)),
                       "Adam.load_state_dict: expected a dict with 'state' and 'param_groups', "
                       "found a int",
                       Error);

  Value no_eps = good;
  no_eps.at("param_groups").items()[1] = without_key(good.at("param_groups").items()[1], "eps");
  CHECK_THROWS_WITH_AS(target.load_state_dict(no_eps),
                       "Adam.load_state_dict: param_groups[1] has no key 'eps'", Error);

  Value bad_lr = good;
  bad_lr.at("param_groups").items()[0].set("lr", -1.0);
  CHECK_THROWS_WITH_AS(target.load_state_dict(bad_lr), "Invalid learning rate: -1", Error);

  Value no_exp_avg = good;
  Value& entry = no_exp_avg.at("state").at(Key(std::int64_t{1}));
  entry = without_key(entry, "exp_avg");
  CHECK_THROWS_WITH_AS(target.load_state_dict(no_exp_avg),
                       "Adam.load_state_dict: state[1] has no key 'exp_avg'", Error);

  Value wrong_shape = good;
  wrong_shape.at("state").at(Key(std::int64_t{0})).set("exp_avg_sq", Value(zeros({3, 2})));
  CHECK_THROWS_WITH_AS(target.load_state_dict(wrong_shape),
                       "Adam.load_state_dict: state[0]['exp_avg_sq'] has shape (3, 2), expected "
                       "the parameter's shape (2, 3)",
                       Error);

  // None of the failures changed the optimizer.
  CHECK(target.state_size() == 0);
  CHECK(target.param_groups()[0].options->lr() == 0.02);

  // An lr saved as a Python int (torch.optim.SGD(params, lr=1)) is accepted.
  SGD sgd(q, SGDOptions(0.1));
  Value sgd_state = sgd.state_dict();
  sgd_state.at("param_groups").items()[0].set("lr", 1);
  sgd.load_state_dict(sgd_state);
  CHECK(sgd.param_groups()[0].options->lr() == 1.0);

  // Loading casts state tensors to the parameter's dtype.
  std::vector<Tensor> d = leaves({{2, 3}, {3}}, kFloat64);
  Adam target64({Adam::ParamGroup({d[0]}), Adam::ParamGroup({d[1]})});
  target64.load_state_dict(good);
  const Value loaded = target64.state_dict().at("state").at(Key(std::int64_t{0}));
  CHECK(loaded.at("exp_avg").as_tensor().dtype() == kFloat64);
  CHECK(loaded.at("step").as_tensor().dtype() == kFloat32);  // the step stays float32
  CHECK(target64.param_groups()[0].options->lr() == 0.01);
}
