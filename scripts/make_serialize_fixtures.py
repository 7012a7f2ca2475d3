#!/usr/bin/python3
"""Writes the PyTorch-made files the serialize tests read (tests/fixtures/serialize/), plus
expected.json: what torch.load returns for each, in the plain form of tests/interop/common.py.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/make_serialize_fixtures.py
"""
import json
import os
import sys
from collections import OrderedDict

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "interop"))
from common import describe, write_safetensors  # noqa: E402

OUT = os.path.join(HERE, "..", "tests", "fixtures", "serialize")


class Net(torch.nn.Module):  # the tutorial's shape of model, small
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 2, 3)
        self.bn = torch.nn.BatchNorm2d(2)
        self.fc1 = torch.nn.Linear(8, 3)

    def forward(self, x):
        return self.fc1(self.bn(self.conv1(x)).flatten(1))


def objects():
    torch.manual_seed(0)
    net = Net()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    net(torch.randn(2, 1, 4, 4)).sum().backward()
    opt.step()
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    yield "state_dict", net.state_dict()
    yield "optimizer", opt.state_dict()
    yield "checkpoint", {"epoch": 5, "model_state_dict": net.state_dict(),
                         "optimizer_state_dict": opt.state_dict(), "loss": 0.4375,
                         "nested": [1, -2, 300, 70000, -(2 ** 40), 2 ** 62, (None, True, False, "s"),
                                    {3: "int key", "x": [1.5, float("inf")]}], "empty": {}}
    yield "dtypes", OrderedDict(
        [(name, (torch.arange(-3, 3).to(dtype) if dtype is not torch.bool else torch.tensor([True, False, True])))
         for dtype, name in [(torch.float32, "f32"), (torch.float64, "f64"), (torch.float16, "f16"),
                             (torch.bfloat16, "bf16"), (torch.int64, "i64"), (torch.int32, "i32"),
                             (torch.int16, "i16"), (torch.int8, "i8"), (torch.uint8, "u8"),
                             (torch.bool, "bool")]]
        + [("scalar", torch.tensor(2.5)), ("empty", torch.zeros(0, 3)), ("int_scalar", torch.tensor(7))])
    yield "views", {"base": base, "row": base[1], "tail": base.view(-1)[5:], "t": base.t(),
                    "col": base[:, 2], "every_other": base.view(-1)[::2], "base_again": base}
    yield "parameter", {"p": torch.nn.Parameter(torch.ones(2, 2)), "frozen": torch.nn.Parameter(torch.zeros(1), requires_grad=False)}


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = OrderedDict()
    for name, obj in objects():
        torch.save(obj, os.path.join(OUT, name + ".pt"))
        expected[name] = describe(torch.load(os.path.join(OUT, name + ".pt")))
    # The same state_dict with pickle protocol 4 (SHORT_BINUNICODE, MEMOIZE, FRAME, ...).
    sd = dict(objects())["state_dict"]
    torch.save(sd, os.path.join(OUT, "protocol4.pt"), pickle_protocol=4)
    expected["protocol4"] = describe(torch.load(os.path.join(OUT, "protocol4.pt")))
    # The legacy format (ember reads it: tests/test_legacy_format.cpp, which has the other
    # legacy fixtures) and a pickled model, which ember refuses.
    torch.save(sd, os.path.join(OUT, "legacy.pt"), _use_new_zipfile_serialization=False)
    torch.save(Net(), os.path.join(OUT, "pickled_model.pt"))
    # safetensors, written by hand to the spec (the Python package is not in Debian).
    tensors = OrderedDict([("weight", torch.arange(6, dtype=torch.float32).reshape(2, 3)),
                           ("bias", torch.tensor([1, 2], dtype=torch.int64)),
                           ("half", torch.tensor([0.5, -1.0], dtype=torch.float16)),
                           ("mask", torch.tensor([True, False])), ("scalar", torch.tensor(3.0)),
                           ("empty", torch.zeros(0, dtype=torch.float64))])
    write_safetensors(tensors, os.path.join(OUT, "tensors.safetensors"), {"format": "pt", "note": "ember"})
    expected["tensors"] = describe(tensors)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
    print("wrote", OUT, "with torch", torch.__version__)


if __name__ == "__main__":
    main()
