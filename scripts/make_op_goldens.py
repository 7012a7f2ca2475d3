#!/usr/bin/python3
"""Golden values from PyTorch for ember's op tests.

Writes tests/fixtures/ops_golden.json: for each case, the inputs (generated here, stored in
the file so the C++ test uses exactly the same numbers), the op's forward result, and the
gradient of every input of sum(out * weight) for a fixed random weight. Float cases come in
float32 and float64. Also writes tests/fixtures/print_golden.json: tensors large enough to be
summarised, with the string repr() gives for them.

Run with Debian's PyTorch:  /usr/bin/python3 scripts/make_op_goldens.py
The C++ side is tests/test_ops_golden.cpp (op names must match its table).
"""
import json
import os

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")

generator = torch.Generator().manual_seed(20240601)


def make_input(shape, kind):
    """float64 values of one kind; cast to the case's dtype later."""
    if kind == "normal":
        return torch.randn(shape, generator=generator, dtype=torch.float64)
    if kind == "positive":  # log, sqrt, division, fractional powers
        return torch.rand(shape, generator=generator, dtype=torch.float64) * 1.5 + 0.5
    if kind == "away":  # abs and relu: no value near the kink at 0
        magnitude = torch.rand(shape, generator=generator, dtype=torch.float64) + 0.1
        sign = torch.where(torch.rand(shape, generator=generator) > 0.5, 1.0, -1.0)
        return magnitude * sign.double()
    if kind == "bool":
        return torch.rand(shape, generator=generator) > 0.5
    if kind == "int":
        return torch.randint(-5, 6, shape, generator=generator)
    raise ValueError(kind)


# op name -> fn(inputs, params). Each has a twin in tests/test_ops_golden.cpp.
OPS = {
    "add": lambda x, p: x[0] + x[1],
    "add_alpha": lambda x, p: torch.add(x[0], x[1], alpha=p["alpha"]),
    "sub": lambda x, p: x[0] - x[1],
    "mul": lambda x, p: x[0] * x[1],
    "div": lambda x, p: x[0] / x[1],
    "scalar_mix": lambda x, p: (2.5 - x[0]) * 3.0 / 4.0 + 1.25,
    "neg": lambda x, p: -x[0],
    "pow": lambda x, p: torch.pow(x[0], p["exponent"]),
    "exp": lambda x, p: torch.exp(x[0]),
    "log": lambda x, p: torch.log(x[0]),
    "sqrt": lambda x, p: torch.sqrt(x[0]),
    "abs": lambda x, p: torch.abs(x[0]),
    "tanh": lambda x, p: torch.tanh(x[0]),
    "sigmoid": lambda x, p: torch.sigmoid(x[0]),
    "relu": lambda x, p: torch.relu(x[0]),
    "clamp": lambda x, p: torch.clamp(x[0], p["min"], p["max"]),
    "sum": lambda x, p: x[0].sum(),
    "sum_dims": lambda x, p: x[0].sum(p["dims"], keepdim=p["keepdim"]),
    "mean": lambda x, p: x[0].mean(),
    "mean_dims": lambda x, p: x[0].mean(p["dims"], keepdim=p["keepdim"]),
    "max": lambda x, p: x[0].max(),
    "max_dim": lambda x, p: x[0].max(p["dim"], keepdim=p["keepdim"])[0],
    "max_dim_indices": lambda x, p: x[0].max(p["dim"], keepdim=p["keepdim"])[1],
    "argmax": lambda x, p: x[0].argmax(p["dim"], keepdim=p["keepdim"]),
    "matmul": lambda x, p: torch.matmul(x[0], x[1]),
    "matmul_transposed": lambda x, p: torch.matmul(x[0], x[1].t()),
    "cat": lambda x, p: torch.cat(x, p["dim"]),
    "stack": lambda x, p: torch.stack(x, p["dim"]),
    "where": lambda x, p: torch.where(x[0], x[1], x[2]),
    "eq": lambda x, p: torch.eq(x[0], x[1]),
    "gt": lambda x, p: torch.gt(x[0], x[1]),
    "permute_reshape": lambda x, p: x[0].permute(2, 0, 1).reshape(4, -1),
    "transpose_narrow_select": lambda x, p: x[0].transpose(0, 1).narrow(0, 1, 2).select(2, 1),
    "expand_unsqueeze": lambda x, p: x[0].unsqueeze(1).expand(3, 2, 4) * x[1],
    "softmax": lambda x, p: torch.exp(x[0] - x[0].max(1, keepdim=True)[0])
    / torch.exp(x[0] - x[0].max(1, keepdim=True)[0]).sum(1, keepdim=True),
    "mlp_mse": lambda x, p: ((torch.tanh(x[0] @ x[1].t() + x[2]) - x[3]) ** 2).mean(),
}

# (name, op, [(shape, kind, requires_grad)], params, dtypes)
FLOATS = ("float32", "float64")
CASES = [
    ("add_broadcast", "add", [([3, 4], "normal", True), ([4], "normal", True)], {}, FLOATS),
    ("add_alpha", "add_alpha", [([2, 3], "normal", True), ([2, 3], "normal", True)],
     {"alpha": -1.5}, FLOATS),
    ("sub_broadcast", "sub", [([2, 3, 1], "normal", True), ([3, 4], "normal", True)], {}, FLOATS),
    ("mul_outer", "mul", [([3, 1], "normal", True), ([1, 4], "normal", True)], {}, FLOATS),
    ("mul_scalar_tensor", "mul", [([], "normal", True), ([2, 3], "normal", True)], {}, FLOATS),
    ("div", "div", [([3, 4], "normal", True), ([3, 4], "positive", True)], {}, FLOATS),
    ("div_broadcast", "div", [([4], "normal", True), ([3, 1], "positive", True)], {}, FLOATS),
    ("scalar_mix", "scalar_mix", [([2, 5], "normal", True)], {}, FLOATS),
    ("neg", "neg", [([6], "normal", True)], {}, FLOATS),
    ("pow_2", "pow", [([3, 3], "normal", True)], {"exponent": 2.0}, FLOATS),
    ("pow_3", "pow", [([3, 3], "normal", True)], {"exponent": 3.0}, FLOATS),
    ("pow_half", "pow", [([3, 3], "positive", True)], {"exponent": 0.5}, FLOATS),
    ("pow_neg", "pow", [([3, 3], "positive", True)], {"exponent": -1.5}, FLOATS),
    ("exp", "exp", [([2, 4], "normal", True)], {}, FLOATS),
    ("log", "log", [([2, 4], "positive", True)], {}, FLOATS),
    ("sqrt", "sqrt", [([2, 4], "positive", True)], {}, FLOATS),
    ("abs", "abs", [([2, 4], "away", True)], {}, FLOATS),
    ("tanh", "tanh", [([2, 4], "normal", True)], {}, FLOATS),
    ("sigmoid", "sigmoid", [([2, 4], "normal", True)], {}, FLOATS),
    ("relu", "relu", [([2, 4], "away", True)], {}, FLOATS),
    ("clamp", "clamp", [([3, 4], "normal", True)], {"min": -0.5, "max": 0.7}, FLOATS),
    ("sum", "sum", [([3, 4, 5], "normal", True)], {}, FLOATS),
    ("sum_dims_keepdim", "sum_dims", [([3, 4, 5], "normal", True)],
     {"dims": [0, 2], "keepdim": True}, FLOATS),
    ("sum_last_dim", "sum_dims", [([3, 4, 5], "normal", True)], {"dims": [-1], "keepdim": False},
     FLOATS),
    ("sum_int", "sum_dims", [([4, 3], "int", False)], {"dims": [0], "keepdim": False}, ("int64",)),
    ("mean", "mean", [([4, 6], "normal", True)], {}, FLOATS),
    ("mean_dims", "mean_dims", [([2, 3, 4], "normal", True)], {"dims": [1], "keepdim": True},
     FLOATS),
    ("max_all", "max", [([4, 5], "normal", True)], {}, FLOATS),
    ("max_dim", "max_dim", [([4, 5], "normal", True)], {"dim": 1, "keepdim": False}, FLOATS),
    ("max_dim_keepdim", "max_dim", [([3, 4, 2], "normal", True)], {"dim": 0, "keepdim": True},
     FLOATS),
    ("max_dim_indices", "max_dim_indices", [([4, 5], "normal", False)],
     {"dim": 0, "keepdim": False}, ("float32",)),
    ("argmax", "argmax", [([3, 7], "normal", False)], {"dim": -1, "keepdim": True}, ("float32",)),
    ("matmul_2d", "matmul", [([5, 7], "normal", True), ([7, 3], "normal", True)], {}, FLOATS),
    ("matmul_dot", "matmul", [([8], "normal", True), ([8], "normal", True)], {}, FLOATS),
    ("matmul_mv", "matmul", [([4, 6], "normal", True), ([6], "normal", True)], {}, FLOATS),
    ("matmul_vm", "matmul", [([6], "normal", True), ([6, 4], "normal", True)], {}, FLOATS),
    ("matmul_batched_broadcast", "matmul",
     [([2, 1, 3, 4], "normal", True), ([5, 4, 2], "normal", True)], {}, FLOATS),
    ("matmul_3d_2d", "matmul", [([2, 3, 4], "normal", True), ([4, 5], "normal", True)], {},
     FLOATS),
    ("matmul_transposed", "matmul_transposed",
     [([6, 5], "normal", True), ([3, 5], "normal", True)], {}, FLOATS),
    ("cat_dim1", "cat", [([2, 3], "normal", True), ([2, 1], "normal", True),
                         ([2, 2], "normal", True)], {"dim": 1}, FLOATS),
    ("stack_dim1", "stack", [([2, 3], "normal", True), ([2, 3], "normal", True)], {"dim": 1},
     FLOATS),
    ("where_broadcast", "where",
     [([3, 4], "bool", False), ([4], "normal", True), ([3, 1], "normal", True)], {}, FLOATS),
    ("eq", "eq", [([3, 4], "int", False), ([4], "int", False)], {}, ("int64",)),
    ("gt", "gt", [([3, 4], "normal", False), ([3, 1], "normal", False)], {}, ("float32",)),
    ("permute_reshape", "permute_reshape", [([2, 3, 4], "normal", True)], {}, FLOATS),
    ("transpose_narrow_select", "transpose_narrow_select", [([2, 4, 3], "normal", True)], {},
     FLOATS),
    ("expand_unsqueeze", "expand_unsqueeze", [([3, 4], "normal", True), ([2, 1], "normal", True)],
     {}, FLOATS),
    ("softmax", "softmax", [([4, 6], "normal", True)], {}, FLOATS),
    ("mlp_mse", "mlp_mse", [([5, 3], "normal", False), ([4, 3], "normal", True),
                            ([4], "normal", True), ([5, 4], "normal", False)], {}, FLOATS),
]

DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64}


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def run_case(name, op, specs, params, dtype_name):
    dtype = DTYPES[dtype_name]
    inputs = []
    for shape, kind, requires_grad in specs:
        t = make_input(shape, kind)
        if kind != "bool":
            t = t.to(dtype)
        t = t.detach().requires_grad_(requires_grad)
        inputs.append(t)
    out = OPS[op](inputs, params)
    case = {
        "name": f"{name}_{dtype_name}",
        "op": op,
        "params": params,
        "inputs": [{"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""),
                    "data": flat(t), "requires_grad": t.requires_grad} for t in inputs],
        "output": {"shape": list(out.shape), "dtype": str(out.dtype).replace("torch.", ""),
                   "data": flat(out)},
        "weight": None,
        "grads": [None] * len(inputs),
    }
    if out.requires_grad:
        weight = torch.randn(out.shape, generator=generator, dtype=torch.float64).to(out.dtype)
        (out * weight).sum().backward()
        case["weight"] = flat(weight)
        case["grads"] = [flat(t.grad) if t.requires_grad else None for t in inputs]
    return case


def print_cases():
    """Summarised tensors (over 1000 elements) and their repr."""
    g = torch.Generator().manual_seed(7)
    specs = [
        ("arange_int64", torch.arange(2000), False),
        ("arange_40x50", torch.arange(2000.0).view(40, 50), False),
        ("sevenths_10x10x20", torch.arange(2000.0).view(10, 10, 20) / 7, False),
        ("randn_float64", torch.randn(30, 40, generator=g, dtype=torch.float64) * 100, False),
        ("bool_1001", torch.arange(1001) % 3 == 0, False),
        ("transposed_50x30", torch.randn(50, 30, generator=g), True),
        ("tiny_values", torch.randn(1200, generator=g) * 1e-5, False),
        ("int64_wide", torch.randint(-10**6, 10**6, (2, 600), generator=g), False),
    ]
    cases = []
    for name, t, transpose in specs:
        shown = t.t() if transpose else t
        cases.append({"name": name, "shape": list(t.shape),
                      "dtype": str(t.dtype).replace("torch.", ""),
                      "data": [float(v) for v in t.reshape(-1).tolist()],
                      "transpose": transpose, "repr": repr(shown)})
    return cases


def main():
    cases = []
    for name, op, specs, params, dtypes in CASES:
        for dtype_name in dtypes:
            cases.append(run_case(name, op, specs, params, dtype_name))
    os.makedirs(FIXTURES, exist_ok=True)
    with open(os.path.join(FIXTURES, "ops_golden.json"), "w") as f:
        json.dump({"torch_version": torch.__version__, "cases": cases}, f)
        f.write("\n")
    with open(os.path.join(FIXTURES, "print_golden.json"), "w") as f:
        json.dump(print_cases(), f)
        f.write("\n")
    print(f"wrote {len(cases)} op cases and the print cases to {FIXTURES}")


if __name__ == "__main__":
    main()
