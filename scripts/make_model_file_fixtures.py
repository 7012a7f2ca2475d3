#!/usr/bin/python3
"""Writes the whole-model files (torch.save(model)) and the refused checkpoints that the
model-file tests read (tests/fixtures/model_files/), plus expected.json: for each model file,
model.state_dict() (keys in order, dtype, shape, values) and the class of each module.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/make_model_file_fixtures.py
"""
import argparse
import json
import os
from collections import OrderedDict

import numpy
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "model_files")


class Net(nn.Module):
    """A user's class: nested containers, a None bias, a None parameter and buffer, a
    non-persistent buffer, a shared submodule (state_dict lists it under both names), a
    function and a dict as plain attributes, and a container with no tensors."""

    def __init__(self):
        super().__init__()
        self.alpha = nn.Parameter(torch.tensor(0.5))
        self.register_parameter("unused", None)
        self.register_buffer("scale", torch.tensor([2.0, 3.0]))
        self.register_buffer("cache", torch.zeros(3), persistent=False)
        self.register_buffer("maybe", None)
        self.stem = nn.Conv2d(1, 2, 3, bias=False)
        self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(4, 4), nn.ReLU()), nn.Linear(4, 2, bias=False)])
        self.head = self.blocks[1]
        self.empty = nn.Sequential()
        self.act = torch.nn.functional.relu
        self.config = {"depth": 2, "name": "net"}

    def forward(self, x):
        return self.head(self.act(self.blocks[0](self.stem(x).flatten(1)))) * self.alpha


def sequential():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(4 * 4 * 4, 5), nn.Dropout(0.25))
    model(torch.randn(2, 1, 8, 8))  # one training-mode step: running stats and num_batches_tracked move
    return model.eval()


def describe_state_dict(model):
    out = []
    for key, t in model.state_dict().items():
        out.append([key, {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
                          "values": t.reshape(-1).to(torch.float64).tolist()}])
    return out


def module_classes(module, prefix=""):
    """[name, class] for each module ("" for the root, "blocks.0"), the class as pickle names
    it, walking _modules as state_dict() does (a shared module under each of its names)."""
    cls = type(module)
    out = [[prefix, cls.__module__ + "." + cls.__qualname__]]
    for name, child in module._modules.items():
        if child is not None:
            out += module_classes(child, prefix + "." + name if prefix else name)
    return out


def save_with_locations(obj, path, location_of):
    """torch.save, with each storage's location tag replaced by location_of(storage): files
    written on a GPU or on Apple's mps, without one here. PyTorch reads them back with
    map_location='cpu'."""
    original = torch.serialization.location_tag
    torch.serialization.location_tag = location_of
    try:
        torch.save(obj, path)
    finally:
        torch.serialization.location_tag = original


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    models = OrderedDict([("sequential", sequential()), ("net", Net())])
    expected = OrderedDict()

    def record(name, model):
        expected[name] = {"state_dict": describe_state_dict(model), "modules": module_classes(model)}

    for name, model in models.items():
        torch.save(model, os.path.join(OUT, name + ".pt"))
        record(name, torch.load(os.path.join(OUT, name + ".pt")))
    torch.save(models["net"], os.path.join(OUT, "net_protocol4.pt"), pickle_protocol=4)
    record("net_protocol4", torch.load(os.path.join(OUT, "net_protocol4.pt")))
    torch.save(models["sequential"].state_dict(), os.path.join(OUT, "sequential_state_dict.pt"))
    record("sequential_state_dict", models["sequential"])

    # Saved on a GPU: every storage 'cuda:0'. Mixed: one storage each on cpu, cuda:0 and mps.
    save_with_locations(models["sequential"], os.path.join(OUT, "sequential_cuda.pt"), lambda s: "cuda:0")
    record("sequential_cuda", torch.load(os.path.join(OUT, "sequential_cuda.pt"), map_location="cpu"))
    mixed = OrderedDict([("a", torch.arange(4, dtype=torch.float32)), ("b", torch.tensor([1, -2], dtype=torch.int64)),
                         ("c", torch.tensor([[0.5, 1.5]], dtype=torch.float64))])
    places = {mixed["a"].data_ptr(): "cpu", mixed["b"].data_ptr(): "cuda:0", mixed["c"].data_ptr(): "mps"}
    save_with_locations(mixed, os.path.join(OUT, "mixed_devices.pt"), lambda s: places[s.data_ptr()])
    back = torch.load(os.path.join(OUT, "mixed_devices.pt"), map_location="cpu")
    expected["mixed_devices"] = {"state_dict": [[k, {"dtype": str(t.dtype).replace("torch.", ""),
                                                     "shape": list(t.shape),
                                                     "values": t.reshape(-1).to(torch.float64).tolist()}]
                                                for k, t in back.items()], "modules": []}

    # What a safe reader refuses, each inside an ordinary checkpoint dict.
    weights = models["sequential"].state_dict()
    q = torch.quantize_per_tensor(torch.tensor([0.5, -1.0, 2.0]), 0.5, 0, torch.qint8)
    torch.save({"epoch": 1, "q": q}, os.path.join(OUT, "quantized.pt"))
    torch.save({"epoch": 1, "mean": numpy.arange(3, dtype=numpy.float32)}, os.path.join(OUT, "numpy_array.pt"))
    torch.save({"epoch": 1, "best_acc": numpy.float64(0.875)}, os.path.join(OUT, "numpy_scalar.pt"))
    torch.save({"args": argparse.Namespace(lr=0.1, epochs=3), "model_state_dict": weights},
               os.path.join(OUT, "namespace.pt"))

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
    print("wrote", OUT, "with torch", torch.__version__)


if __name__ == "__main__":
    main()
