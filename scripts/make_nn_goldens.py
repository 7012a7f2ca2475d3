#!/usr/bin/python3
"""Golden values for ember's nn functions, computed by PyTorch.

Writes tests/fixtures/nn_golden.json: for each case the inputs (generated here from a fixed
seed and stored, so the C++ tests need no Python), the parameters, and PyTorch's outputs and
gradients. The upstream gradient of every output is a stored random tensor `grad_out`, so that
backward is checked with more than all-ones.

Run with the system Python and Debian's python3-torch:
    /usr/bin/python3 scripts/make_nn_goldens.py
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20261128)
DTYPE = torch.float32


def enc(t):
    """A tensor as {"shape", "dtype", "data"} (data flattened, row-major)."""
    t = t.detach()
    dtype = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}[t.dtype]
    data = t.reshape(-1).tolist()
    return {"shape": list(t.shape), "dtype": dtype, "data": data}


def randn(*shape):
    return torch.randn(*shape, dtype=DTYPE)


def backward(out, inputs):
    """Backpropagates a random grad_out; returns it and each input's gradient (None if absent)."""
    grad_out = randn(*out.shape) if out.dim() > 0 else torch.tensor(1.7, dtype=DTYPE)
    grads = torch.autograd.grad(out, [t for t in inputs if t.requires_grad], grad_out,
                                allow_unused=True)
    it = iter(grads)
    return grad_out, [next(it) if t.requires_grad else None for t in inputs]


def leaf(t):
    return t.clone().requires_grad_(True)


cases = []


def add_case(name, op, inputs, params, out, grad_names=()):
    """inputs: name -> tensor (leaves that require grad get their gradient stored)."""
    grad_out, grads = backward(out, list(inputs.values()))
    case = {"name": name, "op": op, "params": params,
            "inputs": {k: enc(v) for k, v in inputs.items()},
            "grad_out": enc(grad_out), "output": enc(out), "grads": {}}
    for (k, v), g in zip(inputs.items(), grads):
        if v.requires_grad:
            case["grads"][k] = enc(g if g is not None else torch.zeros_like(v))
    cases.append(case)


# ---- linear --------------------------------------------------------------------------------
for name, shape in [("linear_2d", (4, 5)), ("linear_3d", (2, 3, 5)), ("linear_1d", (5,))]:
    x, w, b = leaf(randn(*shape)), leaf(randn(3, 5)), leaf(randn(3))
    add_case(name, "linear", {"input": x, "weight": w, "bias": b}, {}, F.linear(x, w, b))
x, w = leaf(randn(4, 5)), leaf(randn(3, 5))
add_case("linear_no_bias", "linear", {"input": x, "weight": w}, {}, F.linear(x, w))

# ---- softmax / log_softmax ---------------------------------------------------------------------
for fn in ["softmax", "log_softmax"]:
    for dim in [1, -1, 0]:
        x = leaf(randn(3, 4, 5) * 3)
        add_case(f"{fn}_dim{dim}", fn, {"input": x}, {"dim": dim}, getattr(F, fn)(x, dim))

# ---- batch_norm (functional): train and eval, running stats updated in place -------------------
for name, shape in [("batch_norm_4d", (4, 3, 3, 2)), ("batch_norm_2d", (6, 3))]:
    for training in [True, False]:
        x, w, b = leaf(randn(*shape)), leaf(randn(3)), leaf(randn(3))
        rm, rv = randn(3), torch.rand(3, dtype=DTYPE) + 0.5
        rm0, rv0 = rm.clone(), rv.clone()
        out = F.batch_norm(x, rm, rv, w, b, training=training, momentum=0.3, eps=1e-3)
        add_case(f"{name}_{'train' if training else 'eval'}", "batch_norm",
                 {"input": x, "weight": w, "bias": b},
                 {"training": training, "momentum": 0.3, "eps": 1e-3,
                  "running_mean": enc(rm0), "running_var": enc(rv0),
                  "running_mean_after": enc(rm), "running_var_after": enc(rv)}, out)

# ---- BatchNorm2d module: two training steps, then eval -----------------------------------------
for momentum in [0.1, None]:
    torch.manual_seed(7)
    bn = torch.nn.BatchNorm2d(3, momentum=momentum)
    with torch.no_grad():
        bn.weight.copy_(randn(3))
        bn.bias.copy_(randn(3))
    weight0, bias0 = bn.weight.detach().clone(), bn.bias.detach().clone()
    steps = []
    for step in range(2):
        x = leaf(randn(2, 3, 4, 4))
        bn.zero_grad()
        y = bn(x)
        grad_out = randn(*y.shape)
        y.backward(grad_out)
        steps.append({"input": enc(x), "grad_out": enc(grad_out), "output": enc(y),
                      "grad_input": enc(x.grad), "grad_weight": enc(bn.weight.grad),
                      "grad_bias": enc(bn.bias.grad),
                      "running_mean": enc(bn.running_mean), "running_var": enc(bn.running_var),
                      "num_batches_tracked": int(bn.num_batches_tracked)})
    bn.eval()
    x = randn(2, 3, 4, 4)
    cases.append({"name": f"batch_norm2d_module_momentum_{momentum}", "op": "BatchNorm2d",
                  "params": {"momentum": momentum, "weight": enc(weight0), "bias": enc(bias0)},
                  "steps": steps, "eval_input": enc(x), "eval_output": enc(bn(x))})

# ---- losses ------------------------------------------------------------------------------------
logits = randn(6, 4) * 2
targets = torch.tensor([0, 3, 1, -100, 2, 1])
class_weight = torch.rand(4, dtype=DTYPE) + 0.5
for reduction in ["mean", "sum", "none"]:
    for weighted in [False, True]:
        for ignore_index in [-100, 1]:
            for smoothing in [0.0, 0.2]:
                x = leaf(logits)
                w = class_weight if weighted else None
                t = targets if ignore_index == -100 else targets.clamp(min=0)
                out = F.cross_entropy(x, t, weight=w, ignore_index=ignore_index,
                                      reduction=reduction, label_smoothing=smoothing)
                params = {"reduction": reduction, "ignore_index": ignore_index,
                          "label_smoothing": smoothing, "target": enc(t)}
                if weighted:
                    params["weight"] = enc(class_weight)
                add_case(f"cross_entropy_{reduction}_w{int(weighted)}_ig{ignore_index}_ls{smoothing}",
                         "cross_entropy", {"input": x}, params, out)
                if smoothing == 0.0:
                    x = leaf(F.log_softmax(logits, 1))
                    out = F.nll_loss(x, t, weight=w, ignore_index=ignore_index, reduction=reduction)
                    add_case(f"nll_loss_{reduction}_w{int(weighted)}_ig{ignore_index}", "nll_loss",
                             {"input": x}, params, out)

# K-dimensional: (N, C, d1) with targets (N, d1); a single sample (C) with a 0-d target.
t_kd = torch.tensor([[0, 2, -100], [1, 1, 0]])
for reduction in ["mean", "none"]:
    x = leaf(randn(2, 3, 3))
    add_case(f"cross_entropy_kdim_{reduction}", "cross_entropy", {"input": x},
             {"reduction": reduction, "ignore_index": -100, "label_smoothing": 0.1,
              "target": enc(t_kd)},
             F.cross_entropy(x, t_kd, reduction=reduction, label_smoothing=0.1))
x = leaf(randn(5))
add_case("cross_entropy_single_sample", "cross_entropy", {"input": x},
         {"reduction": "mean", "ignore_index": -100, "label_smoothing": 0.0,
          "target": enc(torch.tensor(3))}, F.cross_entropy(x, torch.tensor(3)))

# Class probabilities as the target (gradient also flows into the target).
for reduction in ["mean", "sum", "none"]:
    for smoothing in [0.0, 0.3]:
        x, p = leaf(randn(4, 5)), leaf(torch.softmax(randn(4, 5), 1))
        add_case(f"cross_entropy_probs_{reduction}_ls{smoothing}", "cross_entropy_probs",
                 {"input": x, "target": p},
                 {"reduction": reduction, "label_smoothing": smoothing, "weight": enc(class_weight.repeat(2)[:5])},
                 F.cross_entropy(x, p, weight=class_weight.repeat(2)[:5], reduction=reduction,
                                 label_smoothing=smoothing))

for reduction in ["mean", "sum", "none"]:
    x, y = leaf(randn(3, 4)), leaf(randn(3, 4))
    add_case(f"mse_loss_{reduction}", "mse_loss", {"input": x, "target": y},
             {"reduction": reduction}, F.mse_loss(x, y, reduction=reduction))
x, y = leaf(randn(3, 4)), leaf(randn(4))
add_case("mse_loss_broadcast", "mse_loss", {"input": x, "target": y}, {"reduction": "mean"},
         F.mse_loss(x, y.expand(3, 4)))

# ---- repr strings ------------------------------------------------------------------------------
reprs = {
    "linear": repr(torch.nn.Linear(400, 120)),
    "linear_no_bias": repr(torch.nn.Linear(3, 2, bias=False)),
    "batch_norm": repr(torch.nn.BatchNorm2d(16)),
    "batch_norm_options": repr(torch.nn.BatchNorm2d(4, eps=1e-3, momentum=None, affine=False,
                                                    track_running_stats=False)),
    "dropout": repr(torch.nn.Dropout()),
    "dropout_p": repr(torch.nn.Dropout(0.25)),
    "relu": repr(torch.nn.ReLU()),
    "tanh": repr(torch.nn.Tanh()),
    "sigmoid": repr(torch.nn.Sigmoid()),
    "softmax": repr(torch.nn.Softmax(dim=1)),
    "log_softmax": repr(torch.nn.LogSoftmax(dim=-1)),
    "flatten": repr(torch.nn.Flatten()),
    "cross_entropy_loss": repr(torch.nn.CrossEntropyLoss()),
    "nll_loss": repr(torch.nn.NLLLoss()),
    "mse_loss": repr(torch.nn.MSELoss()),
    "sequential": repr(torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
                                           torch.nn.Dropout(0.1), torch.nn.Linear(8, 2))),
    "module_list": repr(torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.Tanh()])),
    "nested": repr(torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(2, 3)),
                                       torch.nn.BatchNorm2d(3))),
}

gains = {name: torch.nn.init.calculate_gain(name) for name in
         ["linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]}
gains["leaky_relu_0.2"] = torch.nn.init.calculate_gain("leaky_relu", 0.2)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                    "nn_golden.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:
    json.dump({"torch_version": torch.__version__, "cases": cases, "reprs": reprs,
               "gains": gains}, f)
print(f"wrote {len(cases)} cases to {os.path.normpath(path)}")
