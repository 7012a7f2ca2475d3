#!/usr/bin/python3
"""Golden values for ember's whole-model tests, computed by PyTorch.

Run with Debian's PyTorch:  /usr/bin/python3 scripts/make_model_goldens.py
Writes tests/fixtures/model_golden.json: for the tutorial's TheModelClass and for
Sequential(Conv2d, BatchNorm2d, ReLU, Flatten, Dropout, Linear): the weights, an input batch and
targets, and PyTorch's outputs, cross-entropy loss and parameter gradients in eval and train mode,
BatchNorm's running statistics after two SGD steps in train mode, the state_dict keys in order,
and the printed model.
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from tutorial_model import TheModelClass

# One thread: PyTorch's float32 sums are then reproducible, and so are the fixtures.
torch.set_num_threads(1)

torch.manual_seed(1234)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "model_golden.json")


def make_sequential(p):
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(),
                         nn.Dropout(p), nn.Linear(8 * 6 * 6, 5))


def flat(t):
    # Nine significant digits round-trip a float32 exactly.
    return [float("%.9g" % v) for v in t.detach().reshape(-1).tolist()]


def tensor_json(t):
    return {"shape": list(t.shape), "values": flat(t)}


def forward_backward(model, x, y):
    model.zero_grad(set_to_none=True)
    out = model(x)
    loss = F.cross_entropy(out, y)
    loss.backward()
    return {
        "output": tensor_json(out),
        "loss": float(loss),
        "grads": {name: tensor_json(p.grad) for name, p in model.named_parameters()},
    }


def describe(model, x, y, with_training_steps, with_train_mode=True):
    case = {
        "repr": repr(model),
        "state_dict_keys": list(model.state_dict().keys()),
        "state_dict": {k: tensor_json(v) for k, v in model.state_dict().items()},
        "input": tensor_json(x),
        "target": [int(v) for v in y.tolist()],
    }
    model.eval()
    case["eval"] = forward_backward(model, x, y)
    if with_train_mode:
        model.train()
        train = forward_backward(model, x, y)
        if train != case["eval"]:  # TheModelClass computes the same in both modes: store once
            case["train"] = train
    if with_training_steps:
        # After the train-mode forward above, two SGD steps in train mode: BatchNorm's running
        # statistics move three times in all (num_batches_tracked == 3).
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(2):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
        case["after_two_steps"] = {k: tensor_json(v) for k, v in model.state_dict().items()}
    return case


def main():
    tutorial = TheModelClass()
    x = torch.randn(4, 3, 32, 32)
    y = torch.randint(0, 10, (4,))
    golden = {"torch_version": torch.__version__,
              "tutorial": describe(tutorial, x, y, with_training_steps=False)}

    seq = make_sequential(0.5)
    # Non-trivial BatchNorm affine parameters and running statistics.
    with torch.no_grad():
        seq[1].weight.uniform_(0.5, 1.5)
        seq[1].bias.uniform_(-0.5, 0.5)
        seq[1].running_mean.uniform_(-0.2, 0.2)
        seq[1].running_var.uniform_(0.5, 2.0)
    xs = torch.randn(4, 3, 6, 6)
    ys = torch.randint(0, 5, (4,))
    # Dropout(p=0.5) is random in train mode: this model is only checked in eval mode.
    eval_case = describe(seq, xs, ys, with_training_steps=False, with_train_mode=False)
    # Train mode uses Dropout(p=0), since ember's random stream differs from PyTorch's.
    seq0 = make_sequential(0.0)
    seq0.load_state_dict(seq.state_dict())
    train_case = describe(seq0, xs, ys, with_training_steps=True)
    golden["sequential"] = {
        "repr": eval_case["repr"], "state_dict_keys": eval_case["state_dict_keys"],
        "state_dict": eval_case["state_dict"], "input": eval_case["input"],
        "target": eval_case["target"], "eval": eval_case["eval"],
        "train_p0": train_case["train"], "after_two_steps": train_case["after_two_steps"],
    }
    with open(OUT, "w") as f:
        json.dump(golden, f)
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
