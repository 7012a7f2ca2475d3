"""PyTorch opens a whole model that ember's nn::save_model wrote and runs it.

usage: run_whole_model.py MODEL_PT IO_PT OUT_PT
Loads MODEL_PT as torch.load(path, weights_only=False) does (and, on PyTorch 2.6+, also with
weights_only=True after add_safe_globals of the torch.nn classes it names), checks that it is a
working torch.nn.Module, runs it in eval mode on IO_PT's 'input' and saves
{'output': ..., 'repr': ..., 'state_dict_keys': ...} to OUT_PT.
"""
import sys

import torch


def main(model_path, io_path, out_path):
    model = torch.load(model_path, weights_only=False)
    assert isinstance(model, torch.nn.Module), type(model)
    major, minor = (int(p) for p in torch.__version__.split(".")[:2])
    if (major, minor) >= (2, 6):
        classes = {type(m) for m in model.modules()}
        torch.serialization.add_safe_globals(list(classes))
        model = torch.load(model_path, weights_only=True)
    x = torch.load(io_path)["input"]
    model.eval()
    with torch.no_grad():
        y = model(x)
    torch.save({"output": y, "repr": repr(model),
                "state_dict_keys": list(model.state_dict().keys())}, out_path)


if __name__ == "__main__":
    main(*sys.argv[1:])
