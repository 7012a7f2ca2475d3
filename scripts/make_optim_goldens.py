#!/usr/bin/python3
"""Golden values for ember's optimizers and LR schedulers, made with PyTorch (1.13).

Writes tests/fixtures/optim_golden.json, read by tests/test_optim*.cpp:
  network     fixed inputs, targets and initial weights of a tiny MLP
              loss = mean((tanh(x @ w1 + b1) @ w2 + b2 - y)^2)
  optimizers  20-step parameter trajectories (all parameters, flattened, after each step) for
              SGD / Adam / AdamW variants, in float64 and float32
  schedulers  learning rates of every group after construction and after each step, and the
              scheduler's state_dict at the end
  the_model   optimizer.state_dict() of the PyTorch tutorial's TheModelClass with
              SGD(lr=1e-3, momentum=0.9) after one step: keys, values, Python types, shapes

Run: /usr/bin/python3 scripts/make_optim_goldens.py   (from the repository root)
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from tutorial_model import TheModelClass

# One thread: PyTorch's float32 sums are then reproducible, and so are the fixtures.
torch.set_num_threads(1)
from torch.optim import lr_scheduler

STEPS = 20
SCHEDULER_STEPS = 25


def flat(t):
    return [float(v) for v in t.detach().double().reshape(-1).tolist()]


def make_network():
    g = torch.Generator().manual_seed(1234)
    shapes = {"w1": [3, 4], "b1": [4], "w2": [4, 2], "b2": [2]}
    params = [{"name": n, "shape": s, "values": flat(torch.randn(s, generator=g) * 0.5)}
              for n, s in shapes.items()]
    x = torch.randn(6, 3, generator=g)
    y = torch.randn(6, 2, generator=g)
    return {"x_shape": [6, 3], "x": flat(x), "y_shape": [6, 2], "y": flat(y), "params": params}


def loss_of(params, x, y):
    w1, b1, w2, b2 = params
    return ((torch.tanh(x @ w1 + b1) @ w2 + b2 - y) ** 2).mean()


# Each case: optimizer class, groups (parameter indices + complete options per group).
SGD_CASES = {
    "sgd_plain": [{"lr": 0.1}],
    "sgd_momentum": [{"lr": 0.05, "momentum": 0.9}],
    "sgd_dampening": [{"lr": 0.05, "momentum": 0.9, "dampening": 0.3}],
    "sgd_nesterov": [{"lr": 0.05, "momentum": 0.9, "nesterov": True}],
    "sgd_weight_decay": [{"lr": 0.1, "momentum": 0.5, "weight_decay": 0.01}],
    "sgd_maximize": [{"lr": 0.01, "momentum": 0.9, "maximize": True}],
    "sgd_groups": [{"lr": 0.1, "momentum": 0.9}, {"lr": 0.01, "momentum": 0.9}],
}
ADAM_CASES = {
    "adam": [{"lr": 0.01}],
    "adam_options": [{"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.1}],
    "adam_amsgrad": [{"lr": 0.01, "amsgrad": True}],
    "adam_maximize": [{"lr": 0.001, "maximize": True, "weight_decay": 0.05}],
    "adam_groups": [{"lr": 0.01}, {"lr": 0.05, "amsgrad": True}],
}
ADAMW_CASES = {
    "adamw": [{"lr": 0.01, "weight_decay": 0.1}],
    "adamw_amsgrad": [{"lr": 0.01, "amsgrad": True, "betas": [0.85, 0.995]}],
    "adamw_maximize": [{"lr": 0.005, "maximize": True}],
}


def run_case(cls, groups, network, dtype):
    x = torch.tensor(network["x"], dtype=dtype).reshape(network["x_shape"])
    y = torch.tensor(network["y"], dtype=dtype).reshape(network["y_shape"])
    params = [torch.tensor(p["values"], dtype=dtype).reshape(p["shape"]).requires_grad_()
              for p in network["params"]]
    # One group: all four parameters; two groups: (w1, b1) and (w2, b2).
    index_sets = [[0, 1, 2, 3]] if len(groups) == 1 else [[0, 1], [2, 3]]
    torch_groups = []
    for options, indices in zip(groups, index_sets):
        g = dict(options)
        if "betas" in g:
            g["betas"] = tuple(g["betas"])
        g["params"] = [params[i] for i in indices]
        torch_groups.append(g)
    opt = cls(torch_groups)
    trajectory, losses = [], []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_of(params, x, y)
        loss.backward()
        opt.step()
        losses.append(float(loss))
        trajectory.append([v for p in params for v in flat(p)])
    return {"groups": [{"params": i, "options": o} for o, i in zip(groups, index_sets)],
            "losses": losses, "trajectory": trajectory}


def make_optimizers(network):
    cases = []
    for cls, table in ((torch.optim.SGD, SGD_CASES), (torch.optim.Adam, ADAM_CASES),
                       (torch.optim.AdamW, ADAMW_CASES)):
        for name, groups in table.items():
            for dtype, dtype_name in ((torch.float64, "float64"), (torch.float32, "float32")):
                case = {"name": name, "optimizer": cls.__name__, "dtype": dtype_name}
                case.update(run_case(cls, groups, network, dtype))
                cases.append(case)
    return cases


def jsonable(v):
    """A state_dict value as JSON: inf as the string "inf", Counters and dicts as lists of
    [key, value] pairs (keys may be ints), tuples as lists."""
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if isinstance(v, dict):
        return [[k, jsonable(x)] for k, x in v.items()]
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return v


SCHEDULERS = [
    ("step_lr", "StepLR", {"step_size": 3, "gamma": 0.5}),
    ("multi_step_lr", "MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 0.3}),
    ("exponential_lr", "ExponentialLR", {"gamma": 0.9}),
    ("cosine_annealing_lr", "CosineAnnealingLR", {"T_max": 7, "eta_min": 0.001}),
    ("cosine_annealing_lr_zero_min", "CosineAnnealingLR", {"T_max": 10}),
    ("reduce_on_plateau_min_rel", "ReduceLROnPlateau",
     {"mode": "min", "factor": 0.5, "patience": 2, "threshold": 0.01, "cooldown": 1,
      "min_lr": 0.02}),
    ("reduce_on_plateau_max_abs", "ReduceLROnPlateau",
     {"mode": "max", "factor": 0.3, "patience": 1, "threshold": 0.05, "threshold_mode": "abs",
      "min_lr": 0.0001, "eps": 1e-3}),
]
# Metrics fed to ReduceLROnPlateau: improving, then a plateau, a bump, a slow decline.
METRICS = [1.0, 0.9, 0.89, 0.895, 0.9, 0.91, 0.7, 0.7, 0.71, 0.72, 0.69, 0.6, 0.6, 0.6, 0.61,
           0.5, 0.55, 0.56, 0.57, 0.4, 0.41, 0.42, 0.43, 0.44, 0.45]


def make_schedulers():
    cases = []
    for name, cls_name, kwargs in SCHEDULERS:
        w = torch.zeros(2, requires_grad=True)
        v = torch.zeros(2, requires_grad=True)
        opt = torch.optim.SGD([{"params": [w], "lr": 0.1}, {"params": [v], "lr": 0.05}], lr=0.1)
        sched = getattr(lr_scheduler, cls_name)(opt, **kwargs)
        lrs = [[g["lr"] for g in opt.param_groups]]
        for i in range(SCHEDULER_STEPS):
            opt.step()
            if cls_name == "ReduceLROnPlateau":
                sched.step(METRICS[i])
            else:
                sched.step()
            lrs.append([g["lr"] for g in opt.param_groups])
        state = sched.state_dict()
        cases.append({"name": name, "scheduler": cls_name, "args": kwargs,
                      "metrics": METRICS if cls_name == "ReduceLROnPlateau" else [],
                      "initial_lrs": [0.1, 0.05], "lrs": lrs,
                      "state_dict": jsonable(state)})
    return cases


def describe(v):
    """Type, and value or shape, of one state_dict entry."""
    if v is None:
        return {"type": "None"}
    if isinstance(v, bool):
        return {"type": "bool", "value": v}
    if isinstance(v, int):
        return {"type": "int", "value": v}
    if isinstance(v, float):
        return {"type": "float", "value": v}
    if isinstance(v, torch.Tensor):
        return {"type": "Tensor", "shape": list(v.shape), "dtype": str(v.dtype)[len("torch."):]}
    if isinstance(v, (list, tuple)):
        return {"type": type(v).__name__, "items": [describe(x) for x in v]}
    raise TypeError(type(v))


def make_the_model():
    torch.manual_seed(0)
    model = TheModelClass()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    opt.zero_grad()
    model(torch.randn(2, 3, 32, 32)).sum().backward()
    opt.step()
    sd = opt.state_dict()
    return {
        "param_shapes": [list(p.shape) for p in model.parameters()],
        "state_keys": list(sd["state"].keys()),
        "state": [[k, [[name, describe(v)] for name, v in entry.items()]]
                  for k, entry in sd["state"].items()],
        "param_groups": [[[k, describe(v)] for k, v in g.items()] for g in sd["param_groups"]],
    }


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    network = make_network()
    golden = {
        "torch_version": torch.__version__,
        "steps": STEPS,
        "network": network,
        "optimizers": make_optimizers(network),
        "schedulers": make_schedulers(),
        "the_model": make_the_model(),
    }
    path = os.path.join(root, "tests", "fixtures", "optim_golden.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
