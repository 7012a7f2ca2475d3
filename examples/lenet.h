// LeNet: the model of PyTorch's "Saving and loading models" tutorial (TheModelClass) for
// 1x28x28 images. Only conv1 differs: one input channel instead of three, and padding 2 so that
// 28x28 Fashion-MNIST images reach fc1 as 16x5x5, as the tutorial's 32x32 CIFAR images do.
// examples/pytorch_check.py defines the same model in Python; the state_dict keys match.
#pragma once

#include <memory>

#include "nn/conv2d.h"
#include "nn/functional.h"
#include "nn/linear.h"
#include "nn/max_pool2d.h"
#include "nn/module.h"

namespace ember::examples {

struct LeNet : nn::Module {
  // Registered in the tutorial's order, which is the order of state_dict() and parameters().
  // The layers draw their initial weights from default_generator(): seed it first.
  std::shared_ptr<nn::Conv2d> conv1 = register_module("conv1", std::make_shared<nn::Conv2d>(1, 6, 5, 1, 2));
  std::shared_ptr<nn::MaxPool2d> pool = register_module("pool", std::make_shared<nn::MaxPool2d>(2, 2));
  std::shared_ptr<nn::Conv2d> conv2 = register_module("conv2", std::make_shared<nn::Conv2d>(6, 16, 5));
  std::shared_ptr<nn::Linear> fc1 = register_module("fc1", std::make_shared<nn::Linear>(16 * 5 * 5, 120));
  std::shared_ptr<nn::Linear> fc2 = register_module("fc2", std::make_shared<nn::Linear>(120, 84));
  std::shared_ptr<nn::Linear> fc3 = register_module("fc3", std::make_shared<nn::Linear>(84, 10));

  // input (N,1,28,28) -> logits (N,10)
  Tensor forward(const Tensor& input) override {
    namespace F = nn::functional;
    Tensor x = (*pool)(F::relu((*conv1)(input)));  // (N,6,14,14)
    x = (*pool)(F::relu((*conv2)(x)));              // (N,16,5,5)
    x = x.view({-1, 16 * 5 * 5});                   // (N,400)
    x = F::relu((*fc1)(x));                         // (N,120)
    x = F::relu((*fc2)(x));                         // (N,84)
    return (*fc3)(x);                               // (N,10)
  }
};

}  // namespace ember::examples
