#!/usr/bin/python3
"""Opens a train_lenet checkpoint in PyTorch, as the "Saving and loading models" tutorial
resumes one, and checks that the Python model scores the test accuracy ember printed.

    /usr/bin/python3 examples/pytorch_check.py runs/demo/lenet.pt
    /usr/bin/python3 examples/pytorch_check.py --data DIR --limit-test 256 lenet.pt

Exits 0 when the accuracies agree (the same count of correct predictions, or within 1e-4),
1 otherwise. Needs only torch and numpy (no torchvision).
"""
import argparse
import gzip
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class TheModelClass(nn.Module):
    """The tutorial's model for 1x28x28 images, as examples/the_model_class.h's TheModelClass(1, 2)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)  # the tutorial's Conv2d(3, 6, 5), for 28x28
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def read_idx(folder, name):
    """An IDX file (plain or .gz) as a uint8 array: magic 0x000008NN, NN big-endian sizes, data."""
    path = os.path.join(folder, name)
    opener = open
    if not os.path.exists(path):
        path, opener = path + ".gz", gzip.open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = struct.unpack(">I", data[:4])[0] & 0xFF
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def fashion_mnist_test_set(folder, limit):
    images = read_idx(folder, "t10k-images-idx3-ubyte")
    labels = read_idx(folder, "t10k-labels-idx1-ubyte")
    if limit:
        images, labels = images[:limit], labels[:limit]
    # What torchvision's ToTensor() and Normalize((0.2860,), (0.3530,)) compute, as ember does.
    x = torch.from_numpy(images.copy()).unsqueeze(1).float().div(255)
    x.sub_(torch.tensor([0.2860])[:, None, None]).div_(torch.tensor([0.3530])[:, None, None])
    return x, torch.from_numpy(labels.astype(np.int64))


def evaluate(model, images, labels):
    correct, loss = 0, 0.0
    with torch.no_grad():
        for start in range(0, len(labels), 1000):
            logits = model(images[start:start + 1000])
            target = labels[start:start + 1000]
            loss += F.cross_entropy(logits, target, reduction="sum").item()
            correct += (logits.argmax(1) == target).sum().item()
    return correct, loss / len(labels)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", help="a file written by train_lenet --checkpoint")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist",
                        help="folder with the Fashion-MNIST IDX files")
    parser.add_argument("--limit-test", type=int, default=None,
                        help="test on the first N images (default: as many as train_lenet did)")
    args = parser.parse_args()

    # The tutorial's "load a general checkpoint" step by step, with the full unpickler (torch
    # 1.13's default) as the tutorial does: 1.13's weights_only=True cannot read the file's
    # plain floats ('loss', 'lr'). Only open files you trust this way.
    checkpoint = torch.load(args.checkpoint)
    model = TheModelClass()
    model.load_state_dict(checkpoint["model_state_dict"])  # strict=True: every key must match
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    epoch, loss = checkpoint["epoch"], checkpoint["loss"]
    model.eval()
    group = optimizer.param_groups[0]
    print(f"loaded {args.checkpoint}: epoch {epoch}, loss {loss:.4f}; "
          f"SGD lr={group['lr']} momentum={group['momentum']}, "
          f"{len(optimizer.state)} momentum buffers")

    # What ember measured after that epoch, on how many test images.
    ember = checkpoint["ember_metrics"][-1]
    ember_limit = checkpoint["ember_recipe"]["limit_test"]
    limit = ember_limit if args.limit_test is None else args.limit_test
    if limit != ember_limit:
        print(f"pytorch_check: --limit-test {limit}, but train_lenet tested "
              f"{ember_limit or 'all'} images: the accuracies are not comparable", file=sys.stderr)
        return 1
    images, labels = fashion_mnist_test_set(args.data, limit)
    correct, test_loss = evaluate(model, images, labels)
    accuracy = correct / len(labels)
    ember_correct = round(ember["test_accuracy"] * len(labels))
    print(f"PyTorch: test accuracy {accuracy:.4f} ({correct}/{len(labels)}), test loss {test_loss:.4f}")
    print(f"ember:   test accuracy {ember['test_accuracy']:.4f} ({ember_correct}/{len(labels)}), "
          f"test loss {ember['test_loss']:.4f}")
    if correct == ember_correct or abs(accuracy - ember["test_accuracy"]) <= 1e-4:
        print("pytorch_check: OK, PyTorch scores what ember printed")
        return 0
    print("pytorch_check: FAILED, the accuracies differ", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
