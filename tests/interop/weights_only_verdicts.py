"""Which files the installed PyTorch's torch.load(weights_only=True) opens, and why not.

usage: weights_only_verdicts.py OUT_JSON FILE ...
Writes {FILE: null} for a file that loads and {FILE: "the error"} for one that does not, with
the unpickler's own error where PyTorch wraps it. One process for all files, because importing
torch takes seconds.
"""
import json
import sys
import warnings

import torch


def verdict(path):
    try:
        torch.load(path, weights_only=True)
        return None
    except Exception as e:  # noqa: BLE001 -- any refusal is an answer here
        cause = e.__cause__ or e.__context__
        return f"{type(e).__name__}: {e}" + (f" (from {type(cause).__name__}: {cause})" if cause else "")


def main(out, paths):
    warnings.simplefilter("ignore")
    with open(out, "w") as f:
        json.dump({path: verdict(path) for path in paths}, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
