#!/usr/bin/python3
"""Golden values for ember's newer layers (issue 19's list), computed by PyTorch.

Writes tests/fixtures/layer_golden.json: for each functional case the inputs and parameters
(generated here from a fixed seed and stored, so the C++ tests need no Python), PyTorch's output,
a random upstream gradient `grad_out` and the gradients of every input that requires grad; the
repr and state_dict keys (with shapes) of each layer; and PyTorch's error messages for the bad
arguments the C++ tests pass.

Run with the system Python and Debian's python3-torch:
    /usr/bin/python3 scripts/make_layer_goldens.py
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20261202)
DTYPE = torch.float32


def enc(t):
    """A tensor as {"shape", "dtype", "data"} (data flattened, row-major)."""
    t = t.detach()
    dtype = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}[t.dtype]
    return {"shape": list(t.shape), "dtype": dtype, "data": t.reshape(-1).tolist()}


def randn(*shape):
    return torch.randn(*shape, dtype=DTYPE)


def leaf(t):
    return t.clone().requires_grad_(True)


cases = []


def add_case(name, op, inputs, params, out):
    """inputs: name -> tensor; the leaves that require grad get their gradient stored."""
    grad_out = randn(*out.shape)
    wanted = [t for t in inputs.values() if t.requires_grad]
    grads = iter(torch.autograd.grad(out, wanted, grad_out, allow_unused=True))
    case = {"name": name, "op": op, "params": params,
            "inputs": {k: enc(v) for k, v in inputs.items()},
            "grad_out": enc(grad_out), "output": enc(out), "grads": {}}
    for k, v in inputs.items():
        if v.requires_grad:
            g = next(grads)
            case["grads"][k] = enc(g if g is not None else torch.zeros_like(v))
    cases.append(case)


# ---- activations -------------------------------------------------------------------------------
for slope in [0.01, 0.2]:
    x = leaf(randn(3, 4, 5) * 2)
    add_case(f"leaky_relu_{slope}", "leaky_relu", {"input": x}, {"negative_slope": slope},
             F.leaky_relu(x, slope))
for approximate in ["none", "tanh"]:
    x = leaf(randn(3, 4, 5) * 3)
    add_case(f"gelu_{approximate}", "gelu", {"input": x}, {"approximate": approximate},
             F.gelu(x, approximate=approximate))
x = leaf(randn(3, 4, 5) * 4)
add_case("silu", "silu", {"input": x}, {}, F.silu(x))

# ---- layer_norm and group_norm -----------------------------------------------------------------
for name, shape, normalized in [("layer_norm_last", (3, 4, 5), [5]),
                                ("layer_norm_two_dims", (2, 4, 5), [4, 5])]:
    x, w, b = leaf(randn(*shape)), leaf(randn(*normalized)), leaf(randn(*normalized))
    add_case(name, "layer_norm", {"input": x, "weight": w, "bias": b},
             {"normalized_shape": normalized, "eps": 1e-5},
             F.layer_norm(x, normalized, w, b, eps=1e-5))
x = leaf(randn(6, 7) * 3 + 1)
add_case("layer_norm_no_affine", "layer_norm", {"input": x},
         {"normalized_shape": [7], "eps": 1e-3}, F.layer_norm(x, [7], eps=1e-3))

x, w, b = leaf(randn(2, 6, 3, 2)), leaf(randn(6)), leaf(randn(6))
add_case("group_norm_4d", "group_norm", {"input": x, "weight": w, "bias": b},
         {"num_groups": 3, "eps": 1e-5}, F.group_norm(x, 3, w, b, eps=1e-5))
x = leaf(randn(3, 4, 5) * 2)
add_case("group_norm_one_group_no_affine", "group_norm", {"input": x},
         {"num_groups": 1, "eps": 1e-3}, F.group_norm(x, 1, eps=1e-3))
# Groups of 4 values: with fewer, the input gradient is mostly float32 cancellation noise.
x, w, b = leaf(randn(5, 8)), leaf(randn(8)), leaf(randn(8))
add_case("group_norm_2d", "group_norm", {"input": x, "weight": w, "bias": b},
         {"num_groups": 2, "eps": 1e-5}, F.group_norm(x, 2, w, b))

# ---- embedding ---------------------------------------------------------------------------------
indices = torch.tensor([[1, 2, 4, 5], [4, 3, 2, 9]])
for padding_idx in [None, 2, -1]:
    w = leaf(randn(10, 3))
    add_case(f"embedding_padding_{padding_idx}", "embedding", {"weight": w},
             {"indices": enc(indices), "padding_idx": padding_idx},
             F.embedding(indices, w, padding_idx=padding_idx))

# ---- conv1d and conv_transpose2d ---------------------------------------------------------------
x, w, b = leaf(randn(2, 4, 9)), leaf(randn(6, 2, 3)), leaf(randn(6))
add_case("conv1d_grouped", "conv1d", {"input": x, "weight": w, "bias": b},
         {"stride": 2, "padding": 1, "dilation": 2, "groups": 2},
         F.conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2))
x, w = leaf(randn(3, 7)), leaf(randn(5, 3, 2))
add_case("conv1d_unbatched", "conv1d", {"input": x, "weight": w},
         {"stride": 1, "padding": 0, "dilation": 1, "groups": 1}, F.conv1d(x, w))

x, w, b = leaf(randn(2, 4, 5, 5)), leaf(randn(4, 3, 3, 3)), leaf(randn(3))
add_case("conv_transpose2d_stride2", "conv_transpose2d", {"input": x, "weight": w, "bias": b},
         {"stride": [2, 2], "padding": [1, 1], "output_padding": [1, 1], "groups": 1,
          "dilation": [1, 1]},
         F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1))
# output_padding 1 with stride 1 along the height: allowed because it is below the dilation 2.
x, w, b = leaf(randn(2, 4, 4, 3)), leaf(randn(4, 3, 3, 2)), leaf(randn(6))
add_case("conv_transpose2d_grouped_dilated", "conv_transpose2d",
         {"input": x, "weight": w, "bias": b},
         {"stride": [1, 2], "padding": [1, 0], "output_padding": [1, 1], "groups": 2,
          "dilation": [2, 1]},
         F.conv_transpose2d(x, w, b, stride=(1, 2), padding=(1, 0), output_padding=(1, 1),
                            groups=2, dilation=(2, 1)))
x, w = leaf(randn(2, 3, 4)), leaf(randn(2, 5, 2, 2))
add_case("conv_transpose2d_unbatched", "conv_transpose2d", {"input": x, "weight": w},
         {"stride": [1, 1], "padding": [0, 0], "output_padding": [0, 0], "groups": 1,
          "dilation": [1, 1]}, F.conv_transpose2d(x, w))

# ---- layers: repr and state_dict keys ----------------------------------------------------------
layers = {
    "identity": nn.Identity(),
    "leaky_relu": nn.LeakyReLU(),
    "leaky_relu_0.2": nn.LeakyReLU(0.2),
    "gelu": nn.GELU(),
    "gelu_tanh": nn.GELU(approximate="tanh"),
    "silu": nn.SiLU(),
    "layer_norm": nn.LayerNorm(10),
    "layer_norm_options": nn.LayerNorm([4, 5], eps=1e-3, elementwise_affine=False),
    "group_norm": nn.GroupNorm(2, 4),
    "group_norm_options": nn.GroupNorm(3, 6, eps=1e-3, affine=False),
    "dropout2d": nn.Dropout2d(),
    "dropout2d_p": nn.Dropout2d(0.3),
    "embedding": nn.Embedding(10, 3),
    "embedding_padding": nn.Embedding(10, 3, padding_idx=-1),
    "conv1d": nn.Conv1d(16, 33, 3),
    "conv1d_options": nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, bias=False),
    "conv_transpose2d": nn.ConvTranspose2d(16, 8, 3),
    "conv_transpose2d_options": nn.ConvTranspose2d(4, 6, (3, 2), stride=2, padding=1,
                                                   output_padding=1, groups=2, dilation=(2, 1),
                                                   bias=False),
}
modules = {name: {"repr": repr(m),
                  "state_dict": [[k, list(v.shape)] for k, v in m.state_dict().items()]}
           for name, m in layers.items()}


# ---- PyTorch's error messages ------------------------------------------------------------------
def error_of(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - any error type; the text is what is compared
        return str(e)
    raise AssertionError("expected an error")


errors = {
    "layer_norm_shape": error_of(lambda: F.layer_norm(randn(2, 3), [4])),
    "layer_norm_weight": error_of(lambda: F.layer_norm(randn(2, 4), [4], randn(3))),
    "group_norm_groups": error_of(lambda: F.group_norm(randn(2, 3, 4), 2)),
    "group_norm_weight": error_of(lambda: F.group_norm(randn(2, 4, 5), 2, randn(3))),
    "group_norm_module": error_of(lambda: nn.GroupNorm(4, 6)),
    "gelu_approximate": error_of(lambda: F.gelu(randn(2), approximate="fast")),
    "embedding_index": error_of(lambda: F.embedding(torch.tensor([10]), randn(10, 3))),
    "embedding_padding": error_of(lambda: nn.Embedding(10, 3, padding_idx=10)),
    "conv1d_input": error_of(lambda: F.conv1d(randn(2, 3, 4, 5), randn(2, 3, 3))),
    "conv_transpose2d_output_padding": error_of(
        lambda: F.conv_transpose2d(randn(1, 2, 3, 3), randn(2, 2, 3, 3), output_padding=1)),
    "conv_transpose2d_channels": error_of(
        lambda: F.conv_transpose2d(randn(1, 5, 6, 6), randn(4, 3, 3, 3))),
    "dropout2d_p": error_of(lambda: nn.Dropout2d(1.5)),
}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                    "layer_golden.json")
with open(path, "w") as f:
    json.dump({"torch_version": torch.__version__, "cases": cases, "modules": modules,
               "errors": errors}, f)
print(f"wrote {len(cases)} cases to {os.path.normpath(path)}")
