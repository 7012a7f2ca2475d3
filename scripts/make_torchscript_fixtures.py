#!/usr/bin/python3
"""Writes the TorchScript archives (torch.jit.script(m).save, torch.jit.trace(m, x).save) that
the TorchScript tests read (tests/fixtures/torchscript/), damaged copies of one, a hand-made
archive in the format of PyTorch < 1.3 (model.json), and expected.json: for each archive,
torch.jit.load(path).state_dict() (keys in order, dtype, shape, values) and the class of each
module as the archive names it.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/make_torchscript_fixtures.py
(torch.jit.script reads the classes' source, so they live in this file.)
"""
import json
import os
import sys
import zipfile
from collections import OrderedDict

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "torchscript")


class Block(nn.Module):
    """One of two classes named Block: TorchScript mangles the second one's name."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return torch.relu(self.fc(x))


def other_block():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm = nn.BatchNorm1d(4)
            self.register_buffer("steps", torch.tensor([7], dtype=torch.int64))

        def forward(self, x):
            return self.norm(x)

    return Block()


class Net(nn.Module):
    """A user's class: a None bias, a None parameter and buffer, a non-persistent buffer (which
    TorchScript's state_dict keeps), a ModuleList, nested user classes, two of them with the
    same name, and plain attributes (an int list, a str)."""

    def __init__(self):
        super().__init__()
        self.alpha = nn.Parameter(torch.tensor(0.5))
        self.register_parameter("unused", None)
        self.register_buffer("scale", torch.tensor([2.0, 3.0]))
        self.register_buffer("cache", torch.zeros(3), persistent=False)
        self.register_buffer("maybe", None)
        self.stem = nn.Conv2d(1, 2, 3, bias=False)
        self.blocks = nn.ModuleList([Block(), other_block()])
        self.head = nn.Sequential(nn.Linear(4, 2), nn.ReLU())
        self.sizes = [3, 4]
        self.name = "net"

    def forward(self, x):
        y = self.stem(x).flatten(1)[:, :4] * self.alpha
        for block in self.blocks:
            y = block(y)
        return self.head(y) * self.scale[0] + self.cache.sum()


def sequential():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(4 * 4 * 4, 5), nn.Dropout(0.25))
    model(torch.randn(2, 1, 8, 8))  # one training-mode step: running stats and num_batches_tracked move
    return model.eval()


def net():
    model = Net()
    model(torch.randn(2, 1, 4, 4))
    return model.eval()


def describe_state_dict(module):
    out = []
    for key, t in module.state_dict().items():
        out.append([key, {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
                          "values": t.reshape(-1).to(torch.float64).tolist()}])
    return out


def module_classes(module, prefix=""):
    """[name, class] for each module of a loaded archive ("" for the root, "blocks.0"), the
    class as the archive names it (__torch__.torch.nn.modules.conv.Conv2d)."""
    out = [[prefix, module._c._type().qualified_name()]]
    for name, child in module.named_children():
        out += module_classes(child, prefix + "." + name if prefix else name)
    return out


def zip_entry(name, method=zipfile.ZIP_STORED):
    """A zip entry dated as torch.jit.save dates them, so that the files come out the same each run."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = method
    return info


def rewrite(src, dst, change):
    """Copies the archive src to dst with change(name, bytes) -> bytes or None (dropped) applied
    to each entry; code/ entries deflated, the rest stored, as torch.jit.save writes them."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                method = zipfile.ZIP_DEFLATED if "/code/" in info.filename else zipfile.ZIP_STORED
                zout.writestr(zip_entry(info.filename, method), data)


def main():
    # TorchScript prints a class's constants in the order of a Python set: a fixed hash seed
    # keeps the code files, and so the archives, the same from run to run.
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, PYTHONHASHSEED="0"))
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    x_seq, x_net = torch.randn(1, 1, 8, 8), torch.randn(2, 1, 4, 4)
    archives = OrderedDict([
        ("scripted_sequential", torch.jit.script(sequential())),
        ("traced_sequential", torch.jit.trace(sequential(), x_seq)),
        ("scripted_net", torch.jit.script(net())),
        ("traced_net", torch.jit.trace(net(), x_net)),
    ])
    expected = OrderedDict()
    for name, module in archives.items():
        path = os.path.join(OUT, name + ".pt")
        module.save(path)
        back = torch.jit.load(path)
        expected[name] = {"state_dict": describe_state_dict(back), "modules": module_classes(back)}

    # Damaged copies of scripted_net.pt: Net's code cut inside its __parameters__ line; Net's
    # __parameters__ line gone; Conv2d's code file gone.
    net_path = os.path.join(OUT, "scripted_net.pt")
    top = "scripted_net/code/__torch__.py"

    def cut(name, data):
        if name != top:
            return data
        at = data.index(b"__parameters__ = [") + len(b"__parameters__ = [\"al")
        return data[:at]

    def no_parameters(name, data):
        if name != top:
            return data
        lines = data.split(b"\n")
        at = lines.index(b"class Net(Module):")
        assert lines[at + 1].startswith(b"  __parameters__ = ")
        return b"\n".join(lines[:at + 1] + lines[at + 2:])

    def no_conv(name, data):  # Conv2d's class is mangled: its code is in conv/___torch_mangle_N.py
        return None if name.startswith("scripted_net/code/__torch__/torch/nn/modules/conv/") else data

    rewrite(net_path, os.path.join(OUT, "damaged_truncated_code.pt"), cut)
    rewrite(net_path, os.path.join(OUT, "damaged_no_parameters.pt"), no_parameters)
    rewrite(net_path, os.path.join(OUT, "damaged_missing_code.pt"), no_conv)

    # PyTorch < 1.3 wrote model.json (a protobuf as JSON) and tensors/N instead of data.pkl.
    # PyTorch 1.13 still reads them; this one is made by hand, in that layout.
    model_json = {"protoVersion": "6", "mainModule": {"name": "main", "parameters": [
        {"name": "weight", "isBuffer": False, "tensorId": "0"}]}, "producerName": "pytorch",
        "producerVersion": "1.0", "tensors": [{"dims": ["2"], "offset": "0", "dataType": "FLOAT",
                                               "data": {"key": "tensors/0"}}]}
    with zipfile.ZipFile(os.path.join(OUT, "model_json.pt"), "w") as z:
        z.writestr(zip_entry("model_json/version"), "1\n")
        z.writestr(zip_entry("model_json/model.json"), json.dumps(model_json))
        z.writestr(zip_entry("model_json/tensors/0"), torch.tensor([1.0, 2.0]).numpy().tobytes())
        z.writestr(zip_entry("model_json/code/main.py", zipfile.ZIP_DEFLATED), "op_version_set = 0\n")

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
    print("wrote", OUT, "with torch", torch.__version__)


if __name__ == "__main__":
    main()
