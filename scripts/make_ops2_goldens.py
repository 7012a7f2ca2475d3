#!/usr/bin/python3
"""Golden values from PyTorch for ember's sorting, indexing and statistics ops.

Writes tests/fixtures/ops2_golden.json: for each case, the inputs (generated here and stored,
so the C++ test uses exactly the same numbers), the op's result, and the gradient of every
input of sum(out * weight) for a fixed random weight. The cases cover ties, NaN, negative
dims, keepdim and empty dims. JSON has no NaN or infinity: they are written as the strings
"nan", "inf" and "-inf".

Run with Debian's PyTorch:  /usr/bin/python3 scripts/make_ops2_goldens.py
The C++ side is tests/test_ops2_golden.cpp (op names must match its table).
"""
import json
import math
import os

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")

generator = torch.Generator().manual_seed(20261202)


def make_input(shape, kind):
    """float64 values (int64 for an index) of one kind; cast to the case's dtype later."""
    if kind == "normal":
        return torch.randn(shape, generator=generator, dtype=torch.float64)
    if kind == "ties":  # few distinct values, so that sorting and picking meet ties
        return torch.randint(-2, 3, shape, generator=generator).double()
    if kind == "nan":  # normal values with about a third NaN
        x = torch.randn(shape, generator=generator, dtype=torch.float64)
        return torch.where(torch.rand(shape, generator=generator) < 0.3,
                           torch.tensor(float("nan"), dtype=torch.float64), x)
    if kind == "int":
        return torch.randint(-5, 6, shape, generator=generator)
    if kind.startswith("index"):  # "index<high>": int64 in [0, high)
        return torch.randint(0, int(kind[5:]), shape, generator=generator)
    raise ValueError(kind)


# op name -> fn(inputs, params). Each has a twin in tests/test_ops2_golden.cpp.
OPS = {
    "sort_values": lambda x, p: torch.sort(x[0], p["dim"], p["descending"])[0],
    "sort_indices": lambda x, p: torch.sort(x[0], stable=True, dim=p["dim"], descending=p["descending"])[1],
    "topk_values": lambda x, p: torch.topk(x[0], p["k"], p["dim"], p["largest"])[0],
    "topk_indices": lambda x, p: torch.topk(x[0], p["k"], p["dim"], p["largest"])[1],
    "min_dim": lambda x, p: x[0].min(p["dim"], keepdim=p["keepdim"])[0],
    "min_dim_indices": lambda x, p: x[0].min(p["dim"], keepdim=p["keepdim"])[1],
    "min_all": lambda x, p: x[0].min(),
    "argmin": lambda x, p: x[0].argmin(p["dim"], keepdim=p["keepdim"]),
    "maximum": lambda x, p: torch.maximum(x[0], x[1]),
    "minimum": lambda x, p: torch.minimum(x[0], x[1]),
    "gather": lambda x, p: torch.gather(x[0], p["dim"], x[1]),
    "scatter_add": lambda x, p: torch.scatter_add(x[0], p["dim"], x[1], x[2]),
    "var": lambda x, p: torch.var(x[0], p["dims"] or None, correction=p["correction"],
                                  keepdim=p["keepdim"]),
    "std": lambda x, p: torch.std(x[0], p["dims"] or None, correction=p["correction"],
                                  keepdim=p["keepdim"]),
    "cumsum": lambda x, p: torch.cumsum(x[0], p["dim"]),
    "softmax": lambda x, p: x[0].softmax(p["dim"]),
    "log_softmax": lambda x, p: x[0].log_softmax(p["dim"]),
}

FLOATS = ("float32", "float64")
F64 = ("float64",)
# (name, op, [(shape, kind, requires_grad)], params, dtypes)
CASES = [
    ("sort_last", "sort_values", [([4, 6], "normal", True)], {"dim": -1, "descending": False},
     FLOATS),
    ("sort_desc_dim0", "sort_values", [([5, 3], "normal", True)],
     {"dim": 0, "descending": True}, FLOATS),
    ("sort_ties_indices", "sort_indices", [([3, 8], "ties", False)],
     {"dim": 1, "descending": False}, F64),
    ("sort_ties_desc_indices", "sort_indices", [([3, 8], "ties", False)],
     {"dim": -1, "descending": True}, F64),
    ("sort_nan", "sort_values", [([3, 7], "nan", True)], {"dim": 1, "descending": False}, F64),
    ("sort_nan_indices", "sort_indices", [([3, 7], "nan", False)],
     {"dim": 1, "descending": True}, F64),
    ("sort_empty", "sort_values", [([3, 0], "normal", False)], {"dim": 1, "descending": False},
     F64),
    ("sort_int", "sort_values", [([2, 9], "int", False)], {"dim": 1, "descending": True},
     ("int64",)),
    ("topk_largest", "topk_values", [([4, 7], "normal", True)],
     {"k": 3, "dim": -1, "largest": True}, FLOATS),
    ("topk_smallest_dim0", "topk_values", [([6, 3], "normal", True)],
     {"k": 2, "dim": 0, "largest": False}, FLOATS),
    ("topk_indices", "topk_indices", [([4, 7], "normal", False)],
     {"k": 4, "dim": 1, "largest": True}, F64),
    # Values only: PyTorch's topk orders tied elements (here several NaN) in no fixed way, so
    # its indices, and so where the gradient goes, can differ from ember's lower-index-first.
    ("topk_nan", "topk_values", [([3, 6], "nan", False)], {"k": 3, "dim": 1, "largest": True},
     F64),
    ("topk_ties_values", "topk_values", [([3, 8], "ties", False)],
     {"k": 5, "dim": 1, "largest": False}, F64),
    ("topk_k0", "topk_values", [([3, 4], "normal", False)], {"k": 0, "dim": 1, "largest": True},
     F64),
    ("min_dim", "min_dim", [([4, 5], "normal", True)], {"dim": 1, "keepdim": False}, FLOATS),
    ("min_dim_keepdim_neg", "min_dim", [([3, 4, 2], "normal", True)],
     {"dim": -3, "keepdim": True}, FLOATS),
    ("min_dim_ties_indices", "min_dim_indices", [([4, 6], "ties", False)],
     {"dim": 1, "keepdim": False}, F64),
    ("min_dim_nan", "min_dim_indices", [([4, 6], "nan", False)], {"dim": 1, "keepdim": False},
     F64),
    ("min_all", "min_all", [([4, 5], "normal", True)], {}, FLOATS),
    ("min_all_ties", "min_all", [([4, 5], "ties", True)], {}, F64),
    ("argmin", "argmin", [([3, 7], "ties", False)], {"dim": -1, "keepdim": True}, F64),
    ("maximum_broadcast", "maximum", [([3, 4], "normal", True), ([4], "normal", True)], {},
     FLOATS),
    ("maximum_ties", "maximum", [([3, 4], "ties", True), ([3, 1], "ties", True)], {}, F64),
    ("maximum_nan", "maximum", [([3, 4], "nan", True), ([3, 4], "nan", True)], {}, F64),
    ("minimum_broadcast", "minimum", [([2, 1, 3], "normal", True), ([4, 1], "normal", True)],
     {}, FLOATS),
    ("minimum_ties", "minimum", [([4, 4], "ties", True), ([4, 4], "ties", True)], {}, F64),
    ("maximum_int", "maximum", [([3, 4], "int", False), ([4], "int", False)], {}, ("int64",)),
    ("gather_dim1", "gather", [([3, 5], "normal", True), ([3, 4], "index5", False)],
     {"dim": 1}, FLOATS),
    ("gather_dim0_smaller", "gather", [([4, 3], "normal", True), ([2, 2], "index4", False)],
     {"dim": 0}, FLOATS),
    ("gather_neg_dim_3d", "gather", [([2, 3, 4], "normal", True), ([2, 3, 6], "index4", False)],
     {"dim": -1}, FLOATS),
    ("scatter_add_dim1", "scatter_add",
     [([3, 5], "normal", True), ([3, 4], "index5", False), ([3, 4], "normal", True)],
     {"dim": 1}, FLOATS),
    ("scatter_add_src_larger", "scatter_add",
     [([4, 3], "normal", True), ([2, 3], "index4", False), ([3, 3], "normal", False)],
     {"dim": 0}, F64),
    ("var_dim1", "var", [([4, 6], "normal", True)],
     {"dims": [1], "correction": 1, "keepdim": False}, FLOATS),
    ("var_all", "var", [([3, 5], "normal", True)], {"dims": [], "correction": 1, "keepdim": False},
     FLOATS),
    ("var_dims_keepdim_biased", "var", [([2, 3, 4], "normal", True)],
     {"dims": [0, -1], "correction": 0, "keepdim": True}, FLOATS),
    ("var_one_element", "var", [([3, 1], "normal", False)],
     {"dims": [1], "correction": 1, "keepdim": False}, F64),
    ("std_dim0", "std", [([5, 3], "normal", True)], {"dims": [0], "correction": 1, "keepdim": False},
     FLOATS),
    ("std_all_biased", "std", [([4, 4], "normal", True)],
     {"dims": [], "correction": 0, "keepdim": False}, FLOATS),
    ("std_keepdim_neg", "std", [([3, 4, 2], "normal", True)],
     {"dims": [-2], "correction": 1, "keepdim": True}, FLOATS),
    ("cumsum_dim1", "cumsum", [([3, 5], "normal", True)], {"dim": 1}, FLOATS),
    ("cumsum_dim0_3d", "cumsum", [([4, 2, 3], "normal", True)], {"dim": 0}, FLOATS),
    ("cumsum_neg", "cumsum", [([2, 3, 4], "normal", True)], {"dim": -1}, FLOATS),
    ("cumsum_int", "cumsum", [([3, 4], "int", False)], {"dim": 1}, ("int64",)),
    ("cumsum_empty", "cumsum", [([0, 3], "normal", False)], {"dim": 0}, F64),
    ("softmax_method", "softmax", [([3, 5], "normal", True)], {"dim": -1}, FLOATS),
    ("log_softmax_method", "log_softmax", [([4, 3], "normal", True)], {"dim": 0}, FLOATS),
]

DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64}


def number(v):
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return float(v)


def flat(t):
    return [number(v) for v in t.detach().reshape(-1).tolist()]


def run_case(name, op, specs, params, dtype_name):
    dtype = DTYPES[dtype_name]
    inputs = []
    for shape, kind, requires_grad in specs:
        t = make_input(shape, kind)
        if not kind.startswith("index"):
            t = t.to(dtype)
        inputs.append(t.detach().requires_grad_(requires_grad))
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


def main():
    cases = [run_case(name, op, specs, params, d)
             for name, op, specs, params, dtypes in CASES for d in dtypes]
    path = os.path.join(FIXTURES, "ops2_golden.json")
    with open(path, "w") as f:
        json.dump({"torch_version": torch.__version__, "cases": cases}, f, allow_nan=False)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main()
