#!/usr/bin/python3
"""Writes the legacy-format files (torch.save(..., _use_new_zipfile_serialization=False), the
format of PyTorch before 1.6) that ember's legacy tests read, to tests/fixtures/legacy/, plus
expected.json: describe() of what torch.load returns for each readable file, and the byte layout
of each (where each pickle and each storage starts) and its storage keys, so the tests can cut
files at every boundary and name what they expect.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/make_legacy_fixtures.py
"""
import io
import json
import os
import pickle
import pickletools
import struct
import sys
import tarfile
from collections import OrderedDict

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "interop"))
from common import describe  # noqa: E402

OUT = os.path.join(HERE, "..", "tests", "fixtures", "legacy")


def legacy_bytes(obj, protocol=2):
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=False, pickle_protocol=protocol)
    return buf.getvalue()


class Recorder(pickle.Unpickler):
    """Reads the object pickle as _legacy_load does, noting each storage's dtype and numel."""

    def __init__(self, f):
        super().__init__(f)
        self.storages = {}

    def find_class(self, module, name):
        if "Storage" in name:
            return torch.serialization.StorageType(name)
        return super().find_class(module, name)

    def persistent_load(self, saved_id):
        if saved_id[0] == "module":
            return saved_id[1]
        _, storage_type, key, _, numel, view = saved_id
        self.storages.setdefault(key, (storage_type.dtype, numel))
        root = torch.storage.TypedStorage(numel, dtype=storage_type.dtype)
        if view is None:
            return root
        _, offset, size = view
        size_of = torch._utils._element_size(storage_type.dtype)
        return torch.storage.TypedStorage(wrap_storage=root._storage[offset * size_of:(offset + size) * size_of],
                                          dtype=storage_type.dtype)


def layout(data):
    """Byte offsets: [magic, protocol, sys_info, objects, keys, storage 0, storage 1, ..., end]."""
    f = io.BytesIO(data)
    marks = []
    for _ in range(3):
        marks.append(f.tell())
        pickle.load(f)
    marks.append(f.tell())
    recorder = Recorder(f)
    recorder.load()
    marks.append(f.tell())
    keys = pickle.load(f)
    for key in keys:
        marks.append(f.tell())
        dtype, numel = recorder.storages[key]
        (count,) = struct.unpack("<q", f.read(8))
        assert count == numel, (key, count, numel)
        f.seek(count * torch._utils._element_size(dtype), 1)
    marks.append(f.tell())
    assert marks[-1] == len(data)
    return marks


def split(data):
    """The file's pieces: the three header pickles, the object pickle, the keys pickle, the data."""
    marks = layout(data)
    return [data[a:b] for a, b in zip(marks[:5], marks[1:6])] + [data[marks[5]:]]


def storage_sections(data):
    """[(key, bytes of its section)] in file order."""
    marks = layout(data)
    keys = pickle.loads(data[marks[4]:marks[5]])
    return [(k, data[a:b]) for k, a, b in zip(keys, marks[5:-1], marks[6:])]


def with_sys_info(data, **changes):
    """The same file with sys_info edited (what a big-endian machine or another ABI would write)."""
    parts = split(data)
    info = pickle.loads(parts[2])
    for k, v in changes.items():
        if k in info:
            info[k] = v
        else:
            info["type_sizes"][k] = v
    parts[2] = pickle.dumps(info, protocol=2)
    return b"".join(parts)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 2, 3)
        self.bn = torch.nn.BatchNorm2d(2)
        self.fc1 = torch.nn.Linear(8, 3)

    def forward(self, x):
        return self.fc1(self.bn(self.conv1(x)).flatten(1))


class ViewRef:
    """A storage view as PyTorch before 1.0 pickled it: view_metadata (view_key, offset, size)."""

    def __init__(self, root, root_key, view_key, offset, size):
        self.root, self.root_key, self.view_key, self.offset, self.size = root, root_key, view_key, offset, size


def storage_views_file(path):
    """A legacy file whose tensors sit on storage views (6th persistent id field not None).
    PyTorch 1.13 no longer writes these but still reads them; written here as _legacy_save
    would have, with one root storage and two views of it."""
    root = torch.arange(10, dtype=torch.float32)
    views = [ViewRef(root, "100", "101", 2, 5), ViewRef(root, "100", "102", 6, 4)]

    def rebuild(view, offset, size, stride):
        return (torch._utils._rebuild_tensor_v2, (view, offset, size, stride, False, OrderedDict()))

    obj = OrderedDict([("root", rebuild(ViewRef(root, "100", None, 0, 10), 0, (10,), (1,))),
                       ("middle", rebuild(views[0], 1, (2, 2), (2, 1))),
                       ("tail", rebuild(views[1], 0, (4,), (1,))),
                       ("tail_t", rebuild(views[1], 0, (2, 2), (1, 2)))])

    class Pickler(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, ViewRef):
                view = None if o.view_key is None else (o.view_key, o.offset, o.size)
                return ("storage", torch.FloatStorage, o.root_key, "cpu", 10, view)
            return None

    class Reduced:  # a value whose pickle is exactly REDUCE(rebuild, args)
        def __init__(self, pair):
            self.pair = pair

        def __reduce__(self):
            return self.pair

    obj = OrderedDict((k, Reduced(v)) for k, v in obj.items())
    header = legacy_bytes({})
    head = b"".join(split(header)[:3])
    body = io.BytesIO()
    Pickler(body, protocol=2).dump(obj)
    keys = pickle.dumps(["100"], protocol=2)
    data = struct.pack("<q", 10) + root.numpy().tobytes()
    with open(path, "wb") as f:
        f.write(head + body.getvalue() + keys + data)


def old_tar_file(path):
    """PyTorch before 0.4 wrote a tar of 'sys_info', 'pickle', 'storages' and 'tensors'. A tar with
    those members (their contents are not what ember looks at: it refuses the format by name)."""
    with tarfile.open(path, "w:", format=tarfile.PAX_FORMAT) as tar:
        for name, payload in [("sys_info", pickle.dumps({"protocol_version": 1001}, protocol=2)),
                              ("pickle", pickle.dumps({}, protocol=2)),
                              ("storages", pickle.dumps(0, protocol=2)),
                              ("tensors", pickle.dumps(0, protocol=2))]:
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(payload))


def readable():
    """(name, object) of the files ember must read, and whether torch.load needs map_location."""
    torch.manual_seed(0)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    net(torch.randn(2, 1, 4, 4)).sum().backward()
    opt.step()
    yield "state_dict", net.state_dict()
    yield "checkpoint", {"epoch": 5, "model_state_dict": net.state_dict(),
                         "optimizer_state_dict": opt.state_dict(), "loss": torch.tensor(0.4375),
                         "history": [0.5, 0.25], "tag": "run-1"}
    yield "dtypes", OrderedDict(
        [(str(d).replace("torch.", ""), torch.arange(-3, 3).to(d)) for d in
         (torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32,
          torch.int16, torch.int8, torch.uint8, torch.bool)]
        + [("scalar", torch.tensor(2.5)), ("int_scalar", torch.tensor(7)), ("empty", torch.zeros(0, 3)),
           ("empty_int", torch.zeros(2, 0, dtype=torch.int32))])
    base = torch.arange(24, dtype=torch.float64).reshape(4, 6)
    yield "views", {"base": base, "row": base[1], "tail": base.view(-1)[5:], "t": base.t(),
                    "col": base[:, 2], "every_other": base.view(-1)[::2], "block": base[1:3, 2:5],
                    "i16_t": torch.arange(6, dtype=torch.int16).reshape(2, 3).t()}
    w = torch.randn(3, 4)
    yield "shared", {"encoder.weight": w, "decoder.weight": w, "flat": w.view(-1), "row": w[2],
                     "other": torch.ones(2)}
    yield "protocol4", net.state_dict()


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = OrderedDict()

    def save(name, data, map_location=None):
        path = os.path.join(OUT, name + ".pt")
        with open(path, "wb") as f:
            f.write(data)
        expected[name] = describe(torch.load(path, map_location=map_location))
        marks = layout(data)
        expected["layout:" + name] = marks
        expected["keys:" + name] = pickle.loads(data[marks[4]:marks[5]])

    written = {}
    for name, obj in readable():
        written[name] = legacy_bytes(obj, protocol=4 if name == "protocol4" else 2)
        save(name, written[name])

    # Storages saved on GPUs: cpu, cuda:0 and mps in one file; ember reads all as CPU tensors.
    original = torch.serialization.location_tag
    tags = iter(["cuda:0", "mps", "cpu"])
    torch.serialization.location_tag = lambda storage: next(tags)
    data = legacy_bytes(OrderedDict([("a", torch.arange(3.0)), ("b", torch.ones(2, 2)), ("c", torch.tensor([7]))]))
    torch.serialization.location_tag = original
    save("cuda", data, map_location="cpu")

    # Pre-1.0 storage views.
    storage_views_file(os.path.join(OUT, "storage_views.pt"))
    with open(os.path.join(OUT, "storage_views.pt"), "rb") as f:
        views = f.read()
    save("storage_views", views)

    # sys_info variants. PyTorch ignores sys_info; long is 4 bytes in every PyTorch since 1.0
    # (struct '=l') and 8 in older ones on 64-bit Linux.
    # The variants are state_dict.pt edited, so that its layout and storage keys hold for them.
    plain = written["state_dict"]
    save("long8", with_sys_info(plain, long=8))
    with open(os.path.join(OUT, "big_endian.pt"), "wb") as f:
        f.write(with_sys_info(plain, little_endian=False))
    with open(os.path.join(OUT, "int8.pt"), "wb") as f:
        f.write(with_sys_info(plain, int=8))

    # Damaged storage lists: a key missing (its data too), a key twice (its data twice), a key the
    # pickle never names.
    parts = split(plain)
    keys = pickle.loads(parts[4])
    sections = storage_sections(plain)
    rebuilt = {"keys_missing": (keys[:-1], sections[:-1]),
               "keys_repeated": (keys + keys[-1:], sections + sections[-1:]),
               "keys_unknown": (keys + ["999"], sections + [("999", struct.pack("<q", 1) + b"\0" * 4)])}
    for name, (ks, secs) in rebuilt.items():
        with open(os.path.join(OUT, name + ".pt"), "wb") as f:
            f.write(b"".join(parts[:4]) + pickle.dumps(ks, protocol=2) + b"".join(s for _, s in secs))

    # Refused by name: complex dtypes, whole models (pickled nn.Module objects), the tar format.
    with open(os.path.join(OUT, "complex.pt"), "wb") as f:
        f.write(legacy_bytes({"z": torch.tensor([1 + 2j, 3 - 1j])}))
    torch.manual_seed(0)
    models = {"model_sequential": torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2),
                                                      torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                                      torch.nn.Flatten(), torch.nn.Linear(2, 3)),
              "model_nested": torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU()),
                                                  torch.nn.Dropout(0.5), torch.nn.Linear(3, 2))}
    for name, model in models.items():
        path = os.path.join(OUT, name + ".pt")
        with open(path, "wb") as f:
            f.write(legacy_bytes(model))
        loaded = torch.load(path)
        assert type(loaded) is torch.nn.Sequential
        torch.save(model, os.path.join(OUT, name + "_zip.pt"))  # the same model, zip format
        # What load_state_dict(path) should give once whole models are read.
        expected["state_dict:" + name] = describe(loaded.state_dict())
    old_tar_file(os.path.join(OUT, "tar_format.pt"))

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
    print("wrote", OUT, "with torch", torch.__version__)


if __name__ == "__main__":
    main()
