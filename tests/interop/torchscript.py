"""TorchScript archives through `ember convert --state-dict`: PyTorch writes scripted and traced
models with torch.jit.save; after ember has written the flat state_dict of each, PyTorch checks
it against torch.jit.load(path).state_dict(): the same keys in the same order, equal tensors,
and a strict load_state_dict into the loaded module.

usage: torchscript.py write DIR    writes DIR/<name>.pt for each archive
       torchscript.py check DIR    compares DIR/<name>.pt with ember's DIR/<name>_state_dict.pt
"""
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import state_dict_failures  # noqa: E402


class Branch(nn.Module):  # a user's class inside another, with a buffer and a None bias
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 1, bias=False)
        self.register_buffer("offset", torch.tensor([0.25, -0.5]))

    def forward(self, x):
        return self.conv(x) + self.offset.view(1, 2, 1, 1)


class Net(nn.Module):  # nested containers, a non-persistent buffer (TorchScript keeps it)
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU())
        self.branches = nn.ModuleList([Branch(), Branch()])
        self.head = nn.Linear(2, 1)
        self.register_buffer("scratch", torch.ones(2), persistent=False)

    def forward(self, x):
        y = self.features(x)
        z = torch.zeros(x.shape[0], 2)
        for branch in self.branches:
            z = z + branch(y).mean((2, 3))
        return self.head(z * self.scratch)


def archives():
    torch.manual_seed(5)
    net = Net()
    net(torch.randn(2, 1, 6, 6))  # moves the batch norm's running stats
    net.eval()
    x = torch.randn(1, 1, 6, 6)
    seq = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1))
    return {"scripted": torch.jit.script(net), "traced": torch.jit.trace(net, x),
            "scripted_sequential": torch.jit.script(seq)}


def main(mode, out):
    if mode == "write":
        for name, module in archives().items():
            module.save(os.path.join(out, name + ".pt"))
        return 0
    failures = []
    for name in archives():
        module = torch.jit.load(os.path.join(out, name + ".pt"))
        failures += state_dict_failures(name, module, os.path.join(out, name + "_state_dict.pt"))
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
