#!/usr/bin/python3
"""Writes the torch.save(model) files that nn::load_model's tests read
(tests/fixtures/whole_model/), with each model's input, output, repr and per-module attributes
in expected.json and io.pt, so that the C++ tests need no Python.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/make_whole_model_fixtures.py
"""
import json
import os
import sys
from collections import OrderedDict

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tutorial_model import TheModelClass  # noqa: E402

# As a user's script defines it: pickled by name as __main__.TheModelClass.
TheModelClass.__module__ = "__main__"

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "whole_model")
HOOKS = {"_parameters", "_buffers", "_modules", "_non_persistent_buffers_set", "_backward_hooks",
         "_is_full_backward_hook", "_forward_hooks", "_forward_pre_hooks", "_state_dict_hooks",
         "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks"}


class Net(nn.Module):  # a user's own class: load_model cannot rebuild it
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)


def every_class():
    """One model with every class load_model rebuilds, options away from their defaults."""
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4, eps=1e-3, momentum=0.2),
        nn.ReLU(), nn.MaxPool2d(2, stride=1, padding=1, dilation=2, ceil_mode=True),
        nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), groups=2), nn.Tanh(),
        nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False, divisor_override=3),
        nn.AdaptiveAvgPool2d((2, 1)), nn.Flatten(), nn.Linear(12, 5), nn.Dropout(0.25),
        nn.Sigmoid(), nn.Softmax(dim=1))


def newer_layers():
    """The layers that came after LeNet's: norms over groups and features, the smooth activations."""
    return nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.GroupNorm(2, 4, eps=1e-4), nn.LeakyReLU(0.2), nn.Dropout2d(0.1),
        nn.Flatten(), nn.Linear(4 * 6 * 6, 8), nn.LayerNorm(8, eps=1e-6), nn.GELU("tanh"),
        nn.Identity(), nn.Linear(8, 3), nn.SiLU(), nn.LayerNorm([3], elementwise_affine=False),
        nn.GELU())


def nested():
    """Named children, nesting, a ModuleList-free head, momentum=None and LogSoftmax."""
    features = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3, momentum=None), nn.ReLU(),
                             nn.AvgPool2d(2))
    head = nn.Sequential(OrderedDict([("fc1", nn.Linear(27, 8)), ("act", nn.ReLU()),
                                      ("fc2", nn.Linear(8, 3, bias=False))]))
    return nn.Sequential(OrderedDict([("features", features), ("flatten", nn.Flatten()),
                                      ("head", head), ("out", nn.LogSoftmax(dim=1))]))


def tutorial_sequential():
    """TheModelClass's layers as a torch.nn.Sequential: a whole model of torch.nn's classes."""
    return nn.Sequential(nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Conv2d(6, 16, 5),
                         nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(), nn.Linear(400, 120),
                         nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def attributes(model):
    """Each module's __dict__ without torch.nn.Module's own entries, in the file's order."""
    out = OrderedDict()
    for name, module in model.named_modules():
        attrs = [[k, list(v) if isinstance(v, tuple) else v] for k, v in vars(module).items()
                 if k not in HOOKS]
        out[name] = {"class": type(module).__module__ + "." + type(module).__name__,
                     "attributes": attrs,
                     "state_dict_keys": list(module.state_dict().keys()) if name == "" else None}
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    expected, io = {}, OrderedDict()
    for name, model, shape in [("every_class", every_class(), (2, 1, 9, 8)),
                               ("nested", nested(), (2, 1, 8, 8)),
                               ("newer_layers", newer_layers(), (2, 1, 8, 8))]:
        x = torch.randn(*shape)
        model.train()
        model(x)  # moves the BatchNorm running statistics away from 0 and 1
        model.eval()
        if name == "nested":
            model.features.train()  # a mixed tree: training flags are per module
        torch.save(model, os.path.join(OUT, name + ".pt"))
        expected[name] = {"repr": repr(model), "modules": attributes(model),
                          "training": {n: m.training for n, m in model.named_modules()}}
        model.eval()
        with torch.no_grad():
            y = model(x)
        io[name + ".input"] = x
        io[name + ".output"] = y
    # The tutorial's section "Save/Load Entire Model" (docs/tutorial.md) reads these two.
    x = torch.randn(2, 3, 32, 32)
    io["tutorial.input"] = x
    for name, model in [("tutorial_sequential", tutorial_sequential()),
                        ("tutorial_class", TheModelClass())]:
        model.eval()
        torch.save(model, os.path.join(OUT, name + ".pt"))
        with torch.no_grad():
            io[name + ".output"] = model(x)
    torch.save(nn.ModuleList([nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1),
                              nn.Embedding(10, 3, padding_idx=1)]),
               os.path.join(OUT, "module_list.pt"))
    torch.save(Net(), os.path.join(OUT, "user_class.pt"))
    torch.save(nn.Sequential(nn.Conv2d(1, 2, 3, padding="same")), os.path.join(OUT, "padding_same.pt"))
    torch.save(nn.Sequential(nn.MaxPool2d(2, return_indices=True)),
               os.path.join(OUT, "return_indices.pt"))
    torch.save(nn.Sequential(nn.Linear(2, 2), nn.PReLU()), os.path.join(OUT, "unknown_layer.pt"))
    torch.save(io, os.path.join(OUT, "io.pt"))
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
