#!/usr/bin/python3
"""Golden values for ember's conv2d and pooling tests, computed by PyTorch.

For each case: deterministic float32 inputs (and weight, bias), PyTorch's output, and the
gradients of (output * grad_output).sum() with respect to every input, grad_output being a
fixed random tensor. Also the repr of each layer, for the printing tests. Writes
tests/fixtures/conv_golden.json. Run from anywhere with Debian's python3-torch:

    /usr/bin/python3 scripts/make_conv_goldens.py
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "conv_golden.json")


def pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


def pack(t):
    """A tensor as {"shape": [...], "data": [flat row-major values]}; None stays None."""
    if t is None:
        return None
    t = t.detach().to(torch.float32).contiguous()
    # 9 significant digits identify a float32 exactly and keep the file small.
    data = [float("%.9g" % v) for v in t.reshape(-1).tolist()]
    return {"shape": list(t.shape), "data": data}


def run(fn, inputs, generator):
    """Output of fn(*inputs) and the gradients of (output * g).sum(), g fixed random."""
    leaves = [None if x is None else x.clone().requires_grad_(True) for x in inputs]
    out = fn(*leaves)
    grad_output = torch.randn(out.shape, generator=generator)
    (out * grad_output).sum().backward()
    return out, grad_output, [None if x is None else x.grad for x in leaves]


CONV_CASES = [
    # name, (N, C, H, W), out_channels, kernel, stride, padding, dilation, groups, bias
    ("basic", (2, 3, 8, 8), 4, 3, 1, 0, 1, 1, True),
    ("odd_grouped", (2, 4, 7, 9), 6, (3, 2), (2, 1), (1, 2), (2, 1), 2, True),
    ("strided_no_bias", (3, 2, 6, 5), 3, 3, 2, 1, 1, 1, False),
    ("pointwise", (2, 5, 4, 3), 7, 1, 1, 0, 1, 1, True),
    ("pointwise_strided", (2, 3, 5, 6), 4, 1, 2, 0, 1, 1, True),
    ("depthwise", (2, 4, 6, 7), 8, 3, 1, 1, 1, 4, True),
    ("lenet_conv1", (1, 1, 28, 28), 6, 5, 1, 2, 1, 1, True),
    ("lenet_conv2", (2, 6, 14, 14), 16, 5, 1, 0, 1, 1, True),
    # The direct kernels (<= 3 input channels per group, output rows >= 16 wide): 13 output
    # channels are blocks of 6, 6 and 1; rows of 23 and 18 end in a partial vector.
    ("direct_rgb", (2, 3, 9, 21), 13, 3, (2, 1), (1, 2), (2, 1), 1, True),
    ("direct_grouped", (2, 4, 6, 18), 6, 3, 1, 1, 1, 2, False),
]

MAX_POOL_CASES = [
    # name, (N, C, H, W), kernel, stride, padding, dilation, ceil_mode
    ("lenet", (1, 2, 28, 28), 2, 2, 0, 1, False),
    ("padded_ceil", (2, 3, 7, 9), 3, 2, 1, 1, True),
    ("dilated", (2, 3, 7, 9), (3, 2), (2, 1), (1, 0), (2, 1), False),
    ("dilated_ceil", (1, 2, 8, 10), 3, 2, 1, 2, True),
    ("overlapping", (2, 2, 6, 6), 3, 1, 1, 1, False),
    ("kernel_over_input_ceil", (1, 2, 5, 5), 7, 7, 0, 1, True),
]

AVG_POOL_CASES = [
    # name, (N, C, H, W), kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    ("plain", (2, 3, 8, 8), 2, 2, 0, False, True, None),
    ("padded_ceil_include", (2, 3, 7, 9), 3, 2, 1, True, True, None),
    ("padded_ceil_exclude", (2, 3, 7, 9), 3, 2, 1, True, False, None),
    ("rect", (1, 2, 7, 8), (2, 3), (1, 2), (1, 1), False, False, None),
    ("divisor_override", (1, 2, 6, 6), 3, 2, 1, False, True, 5),
]

ADAPTIVE_CASES = [
    # name, (N, C, H, W), output_size
    ("shrink", (2, 3, 7, 9), (3, 4)),
    ("global", (2, 3, 5, 5), 1),
    ("grow", (1, 2, 3, 4), (5, 6)),
]

# Layers whose printed form the tests compare: key -> PyTorch module.
REPRS = {
    "conv_default": nn.Conv2d(3, 6, 5),
    "conv_padded": nn.Conv2d(1, 6, 5, padding=2),
    "conv_all": nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2,
                          bias=False),
    "conv_rect_kernel": nn.Conv2d(3, 32, (3, 1), stride=2),
    "max_pool": nn.MaxPool2d(2, 2),
    "max_pool_tuple": nn.MaxPool2d((3, 2), stride=(2, 1), padding=(1, 0), dilation=(2, 1),
                                   ceil_mode=True),
    "avg_pool": nn.AvgPool2d(3),
    "avg_pool_tuple": nn.AvgPool2d((2, 3), stride=1, padding=1, ceil_mode=True,
                                   count_include_pad=False),
    "adaptive_pool": nn.AdaptiveAvgPool2d((5, 7)),
    "adaptive_pool_int": nn.AdaptiveAvgPool2d(1),
}


def main():
    g = torch.Generator().manual_seed(20261128)
    golden = {"conv2d": [], "max_pool2d": [], "avg_pool2d": [], "adaptive_avg_pool2d": []}

    for name, shape, out_ch, kernel, stride, padding, dilation, groups, bias in CONV_CASES:
        kh, kw = pair(kernel)
        x = torch.randn(shape, generator=g)
        w = torch.randn((out_ch, shape[1] // groups, kh, kw), generator=g) * 0.5
        b = torch.randn((out_ch,), generator=g) if bias else None
        fn = lambda x_, w_, b_: F.conv2d(x_, w_, b_, stride, padding, dilation, groups)
        out, gy, (gx, gw, gb) = run(fn, [x, w, b], g)
        golden["conv2d"].append({
            "name": name, "stride": pair(stride), "padding": pair(padding),
            "dilation": pair(dilation), "groups": groups,
            "input": pack(x), "weight": pack(w), "bias": pack(b), "grad_output": pack(gy),
            "output": pack(out), "grad_input": pack(gx), "grad_weight": pack(gw),
            "grad_bias": pack(gb)})

    for name, shape, kernel, stride, padding, dilation, ceil_mode in MAX_POOL_CASES:
        x = torch.randn(shape, generator=g)
        fn = lambda x_: F.max_pool2d(x_, kernel, stride, padding, dilation, ceil_mode)
        out, gy, (gx,) = run(fn, [x], g)
        golden["max_pool2d"].append({
            "name": name, "kernel_size": pair(kernel), "stride": pair(stride),
            "padding": pair(padding), "dilation": pair(dilation), "ceil_mode": ceil_mode,
            "input": pack(x), "grad_output": pack(gy), "output": pack(out),
            "grad_input": pack(gx)})

    for name, shape, kernel, stride, padding, ceil_mode, include_pad, divisor in AVG_POOL_CASES:
        x = torch.randn(shape, generator=g)
        fn = lambda x_: F.avg_pool2d(x_, kernel, stride, padding, ceil_mode, include_pad, divisor)
        out, gy, (gx,) = run(fn, [x], g)
        golden["avg_pool2d"].append({
            "name": name, "kernel_size": pair(kernel), "stride": pair(stride),
            "padding": pair(padding), "ceil_mode": ceil_mode, "count_include_pad": include_pad,
            "divisor_override": divisor, "input": pack(x), "grad_output": pack(gy),
            "output": pack(out), "grad_input": pack(gx)})

    for name, shape, output_size in ADAPTIVE_CASES:
        x = torch.randn(shape, generator=g)
        out, gy, (gx,) = run(lambda x_: F.adaptive_avg_pool2d(x_, output_size), [x], g)
        golden["adaptive_avg_pool2d"].append({
            "name": name, "output_size": pair(output_size), "input": pack(x),
            "grad_output": pack(gy), "output": pack(out), "grad_input": pack(gx)})

    golden["repr"] = {key: repr(module) for key, module in REPRS.items()}
    golden["torch_version"] = torch.__version__

    with open(OUT, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
