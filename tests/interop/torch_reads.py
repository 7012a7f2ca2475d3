"""PyTorch reads files ember wrote and describes them, so ember can check the values.

usage: torch_reads.py OUT_JSON FILE[:weights_only] ...
Writes {FILE: describe(torch.load(FILE))} to OUT_JSON. A .safetensors FILE is read to the
spec by hand (its tensors as a plain dict). ":weights_only" loads with weights_only=True
(PyTorch's safe loader: it refuses anything but plain data and tensors); ":cpu" loads with
map_location="cpu" (files whose storages were saved on a GPU). One process for all
files, because importing torch takes seconds.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import describe, read_safetensors  # noqa: E402


def main(out, specs):
    result = {}
    for spec in specs:
        path, _, mode = spec.partition(":")
        if path.endswith(".safetensors"):
            tensors, metadata = read_safetensors(path)
            result[path] = {"tensors": describe(dict(tensors)), "metadata": metadata}
        else:
            result[path] = describe(torch.load(path, weights_only=(mode == "weights_only"),
                                               map_location="cpu" if mode == "cpu" else None))
    with open(out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
