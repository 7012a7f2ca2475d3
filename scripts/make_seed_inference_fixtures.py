#!/usr/bin/python3
"""Files made by PyTorch for examples/seed_inference: run with /usr/bin/python3.

Writes tests/fixtures/seed_inference/: state_dict.pt (torch.save(model.state_dict())),
checkpoint.pt (the tutorial's resume checkpoint), input.pt (a (4, 3, 32, 32) float32 batch) and
logits.pt (what the model in eval() mode computes on it).
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from tutorial_model import TheModelClass

# One thread: PyTorch's float32 sums are then reproducible, and so are the fixtures.
torch.set_num_threads(1)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "seed_inference")


def main():
    torch.manual_seed(2024)
    os.makedirs(OUT, exist_ok=True)
    model = TheModelClass()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    x = torch.randn(4, 3, 32, 32)
    # One training step, so the checkpoint's optimizer has state, as a real one would.
    loss = F.cross_entropy(model(x), torch.tensor([1, 2, 3, 4]))
    loss.backward()
    optimizer.step()
    torch.save(model.state_dict(), os.path.join(OUT, "state_dict.pt"))
    torch.save({"epoch": 1, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(), "loss": float(loss)},
               os.path.join(OUT, "checkpoint.pt"))
    torch.save(x, os.path.join(OUT, "input.pt"))
    model.eval()
    with torch.no_grad():
        torch.save(model(x), os.path.join(OUT, "logits.pt"))
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
