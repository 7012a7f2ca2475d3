"""Round trip PyTorch -> ember -> PyTorch: checks that ember's copy of a file PyTorch wrote
holds exactly the same thing (types, key order, _metadata, dtypes, shapes, strides, storage
sharing and bytes).

usage: round_trip.py ORIGINAL COPY[:weights_only] ...  (exit 0 when every pair is unchanged;
otherwise exit 1 with a line per difference)
"""
import sys
from collections import OrderedDict

import torch


def storage_bytes(t):
    whole = t.detach().new_empty(0).set_(t.storage()).reshape(-1)
    return whole.view(torch.uint8).numpy().tobytes() if whole.numel() else b""


def same(a, b, where, storages):
    if type(a) is not type(b):
        raise AssertionError(f"{where}: type {type(a).__name__} became {type(b).__name__}")
    if isinstance(a, torch.Tensor):
        for attr in ("dtype", "shape", "requires_grad"):
            if getattr(a, attr) != getattr(b, attr):
                raise AssertionError(f"{where}: {attr} {getattr(a, attr)} became {getattr(b, attr)}")
        if a.stride() != b.stride() or a.storage_offset() != b.storage_offset():
            raise AssertionError(f"{where}: layout changed")
        ka, kb = a.storage().data_ptr(), b.storage().data_ptr()
        if storages.setdefault(("a", ka), kb) != kb:
            raise AssertionError(f"{where}: storage sharing changed")
        if storage_bytes(a) != storage_bytes(b):
            raise AssertionError(f"{where}: storage bytes changed")
    elif isinstance(a, dict):
        if list(a.keys()) != list(b.keys()):
            raise AssertionError(f"{where}: keys {list(a.keys())} became {list(b.keys())}")
        if getattr(a, "_metadata", None) != getattr(b, "_metadata", None):
            raise AssertionError(f"{where}: _metadata changed")
        for k in a:
            same(a[k], b[k], f"{where}[{k!r}]", storages)
    elif isinstance(a, (list, tuple)):
        if len(a) != len(b):
            raise AssertionError(f"{where}: length changed")
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]", storages)
    elif a != b and not (a != a and b != b):
        raise AssertionError(f"{where}: {a!r} became {b!r}")


def main(pairs):
    failures = 0
    for original, spec in zip(pairs[0::2], pairs[1::2]):
        copy, _, mode = spec.partition(":")
        try:
            same(torch.load(original), torch.load(copy, weights_only=(mode == "weights_only")), "root", {})
            print("same:", original)
        except Exception as e:  # noqa: BLE001 - report every pair
            failures += 1
            print(f"CHANGED: {original} -> {copy}: {e}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
