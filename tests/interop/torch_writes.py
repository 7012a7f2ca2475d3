"""PyTorch writes each kind of file ember must read; describe() of each goes to OUT/expected.json.

usage: torch_writes.py OUT_DIR
"""
import json
import os
import sys
from collections import OrderedDict

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import describe, write_safetensors  # noqa: E402


def main(out):
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 6, 5), torch.nn.BatchNorm2d(6), torch.nn.Flatten(),
                                torch.nn.Linear(6 * 4 * 4, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.0)
    model(torch.randn(2, 3, 8, 8)).square().mean().backward()
    opt.step()
    x = torch.randn(4, 5, dtype=torch.float64)
    files = OrderedDict([
        ("state_dict.pt", model.state_dict()),
        ("optimizer.pt", opt.state_dict()),
        ("checkpoint.tar", {"epoch": 3, "model_state_dict": model.state_dict(),
                            "optimizer_state_dict": opt.state_dict(), "loss": 1.25,
                            "history": [0.5, 0.25], "best": None, "tag": "run-1", "done": False,
                            "shape": (2, 3), 7: "int key"}),
        ("views.pth", {"x": x, "xt": x.t(), "row": x[2], "col": x[:, 3], "slice": x[1:3, 1:4]}),
        ("dtypes.pt", [torch.arange(-2, 4).to(d) for d in
                       (torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64,
                        torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool)]
         + [torch.tensor(3), torch.empty(2, 0, 3)]),
        ("parameter.pt", {"w": torch.nn.Parameter(torch.randn(3))}),
    ])
    expected = OrderedDict()
    for name, obj in files.items():
        torch.save(obj, os.path.join(out, name))
        expected[name] = describe(torch.load(os.path.join(out, name)))
    st = OrderedDict((k, v) for k, v in model.state_dict().items())
    write_safetensors(st, os.path.join(out, "model.safetensors"), {"format": "pt"})
    expected["model.safetensors"] = {"__dict__": describe(st)["__dict__"]}
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    main(sys.argv[1])
