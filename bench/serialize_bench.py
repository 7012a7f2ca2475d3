#!/usr/bin/python3
"""torch.save / torch.load against ember::save / ember::load on the same state_dict: 100 million
float32 parameters (400 MB) in 10 tensors, best of 5 runs each, page cache warm for both.

usage: bench/serialize_bench.py BUILD_DIR/bench/serialize_bench [--params N] [--dir DIR]
Exit status 1 unless ember is at least as fast as PyTorch both ways and above 1 GB/s.
"""
import argparse
import json
import os
import subprocess
import time
from collections import OrderedDict

import torch


def best_of(repeat, f):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("ember_bench")
    parser.add_argument("--params", type=int, default=100_000_000)
    parser.add_argument("--tensors", type=int, default=10)
    parser.add_argument("--dir", default=".")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n = args.params // args.tensors
    state = OrderedDict((f"layer{k}.weight", ((torch.arange(n, dtype=torch.int64) * 7 + k) % 1000).float() * 1e-3)
                        for k in range(args.tensors))
    path = os.path.join(args.dir, "torch_bench.pt")
    torch_save = best_of(args.repeat, lambda: torch.save(state, path))

    def load_and_touch():
        loaded = torch.load(path)
        return sum(float(t[::1024].sum()) for t in loaded.values())
    torch_load = best_of(args.repeat, load_and_touch)
    out = subprocess.run([args.ember_bench, "--params", str(args.params), "--tensors", str(args.tensors),
                          "--dir", args.dir, "--repeat", str(args.repeat), "--torch-file", path],
                         check=True, capture_output=True, text=True).stdout
    ember = json.loads(out)
    os.remove(path)
    gb = ember["bytes"] / 1e9
    rows = [("torch.save", torch_save), ("ember::save (no fsync, like torch.save)", ember["save_s"]),
            ("ember::save (durable: fsync file + dir)", ember["save_durable_s"]),
            ("torch.load", torch_load), ("ember::load (CRC-checked)", ember["load_s"]),
            ("ember::load of torch's file", ember["load_torch_file_s"])]
    print(f"{args.params:,} float32 parameters ({gb:.2f} GB), torch {torch.__version__}, best of {args.repeat}")
    for name, s in rows:
        print(f"  {name:42s} {s:7.3f} s  {gb / s:6.2f} GB/s")
    ok = (ember["save_s"] <= torch_save and ember["load_s"] <= torch_load and gb / ember["save_s"] > 1
          and gb / ember["load_s"] > 1)
    print("PASS" if ok else "FAIL", "(ember >= PyTorch both ways and > 1 GB/s)")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
