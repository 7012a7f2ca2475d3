"""Helpers shared by the serialize fixture script and the live interop tests.

describe(obj) turns what torch.load returns into plain JSON (the form ember's tests compare
against): tensors become {"dtype", "shape", "stride", "offset", "values"} with their elements in
row-major order as floats, dicts become {"__dict__": [[key, value], ...]} to keep order and int
keys, tuples {"__tuple__": [...]}.
"""
import json
import math
import struct
from collections import OrderedDict

import torch

DTYPES = {
    torch.float32: "float32", torch.float64: "float64", torch.float16: "float16",
    torch.bfloat16: "bfloat16", torch.int64: "int64", torch.int32: "int32",
    torch.int16: "int16", torch.int8: "int8", torch.uint8: "uint8", torch.bool: "bool",
}
SAFETENSORS = {
    torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}


def number(x):
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return repr(x)
    return x


def describe(obj):
    if isinstance(obj, torch.Tensor):
        flat = obj.detach().reshape(-1)
        values = flat.to(torch.float64).tolist() if obj.dtype != torch.bool else [float(v) for v in flat.tolist()]
        return {"dtype": DTYPES[obj.dtype], "shape": list(obj.shape), "stride": list(obj.stride()),
                "offset": obj.storage_offset(), "requires_grad": obj.requires_grad,
                "values": [number(v) for v in values]}
    if isinstance(obj, dict):
        out = {"__dict__": [[k, describe(v)] for k, v in obj.items()]}
        if isinstance(obj, OrderedDict):
            out["ordered"] = True
        meta = getattr(obj, "_metadata", None)
        if meta is not None:
            out["metadata"] = describe(meta)
        return out
    if isinstance(obj, tuple):
        return {"__tuple__": [describe(v) for v in obj]}
    if isinstance(obj, list):
        return [describe(v) for v in obj]
    if isinstance(obj, float):
        return {"__float__": number(obj)}
    return obj


def write_safetensors(tensors, path, metadata=None):
    """The safetensors format by hand (the Python package is not installed here)."""
    header, blobs, offset = OrderedDict(), [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        t = t.contiguous()
        data = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": SAFETENSORS[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {})
    inverse = {v: k for k, v in SAFETENSORS.items()}
    out = OrderedDict()
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        b, e = info["data_offsets"]
        dtype = inverse[info["dtype"]]
        buf = bytearray(raw[8 + n + b:8 + n + e])
        t = torch.frombuffer(buf, dtype=torch.uint8) if buf else torch.empty(0, dtype=torch.uint8)
        out[name] = t.view(dtype).reshape(info["shape"]).clone()
    return out, metadata


def state_dict_failures(name, module, state_dict_path):
    """What differs between module.state_dict() and the state_dict file ember wrote for it
    (keys in order, dtypes, values), as messages; a strict load_state_dict must take it too."""
    want = module.state_dict()
    got = torch.load(state_dict_path, weights_only=True)
    if list(got.keys()) != list(want.keys()):
        return [f"{name}: keys {list(got.keys())} != {list(want.keys())}"]
    failures = [f"{name}: {key} differs" for key, tensor in want.items()
                if got[key].dtype != tensor.dtype or not torch.equal(got[key], tensor)]
    module.load_state_dict(got, strict=True)
    return failures
