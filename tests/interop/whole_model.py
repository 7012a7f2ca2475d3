"""Whole models both ways through `ember convert --state-dict`: PyTorch saves each model with
torch.save(model); after ember has written the flat state_dict of each, PyTorch checks it
against model.state_dict(): the same keys in the same order, equal tensors, and a strict
load_state_dict into the model.

usage: whole_model.py write DIR    writes DIR/<name>.pt for each model
       whole_model.py check DIR    compares DIR/<name>.pt with ember's DIR/<name>_state_dict.pt
"""
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import state_dict_failures  # noqa: E402


class Net(nn.Module):  # a user's class: nested containers, None bias, non-persistent buffer
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2))
        self.heads = nn.ModuleList([nn.Linear(12, 4, bias=False), nn.Sequential(nn.Dropout(), nn.Linear(4, 2))])
        self.register_buffer("temperature", torch.tensor(1.5))
        self.register_buffer("scratch", torch.zeros(2), persistent=False)

    def forward(self, x):
        return self.heads[1](self.heads[0](self.features(x).flatten(1))) / self.temperature


def models():
    torch.manual_seed(3)
    net = Net()
    net(torch.randn(2, 1, 6, 6))  # moves the batch norm's running stats
    seq = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 1))
    return {"net": net, "sequential": seq}


def main(mode, out):
    if mode == "write":
        for name, model in models().items():
            torch.save(model, os.path.join(out, name + ".pt"))
        return 0
    failures = []
    for name in models():
        model = torch.load(os.path.join(out, name + ".pt"))
        failures += state_dict_failures(name, model, os.path.join(out, name + "_state_dict.pt"))
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
