// TheModelClass: the model of PyTorch's "Saving and loading models" tutorial, in C++.
//
//   conv1 = Conv2d(3, 6, 5), pool = MaxPool2d(2, 2), conv2 = Conv2d(6, 16, 5),
//   fc1 = Linear(16*5*5, 120), fc2 = Linear(120, 84), fc3 = Linear(84, 10)
//
// The constructor's two arguments only exist for Fashion-MNIST: TheModelClass(1, 2) takes
// 1x28x28 images (one input channel, padding 2), which reach fc1 as 16x5x5 exactly as the
// tutorial's 3x32x32 images do. The state_dict keys are the tutorial's either way.
#pragma once

#include <cstdint>
#include <memory>

#include "ember/nn/conv2d.h"
#include "ember/nn/functional.h"
#include "ember/nn/linear.h"
#include "ember/nn/max_pool2d.h"
#include "ember/nn/module.h"

namespace ember::examples {

class TheModelClass : public nn::Module {
 public:
  explicit TheModelClass(std::int64_t in_channels = 3, std::int64_t conv1_padding = 0)
      : conv1(register_module("conv1",
                              std::make_shared<nn::Conv2d>(
                                  nn::Conv2dOptions(in_channels, 6, 5).padding(conv1_padding)))),
        pool(register_module("pool", std::make_shared<nn::MaxPool2d>(2))),
        conv2(register_module("conv2", std::make_shared<nn::Conv2d>(6, 16, 5))),
        fc1(register_module("fc1", std::make_shared<nn::Linear>(16 * 5 * 5, 120))),
        fc2(register_module("fc2", std::make_shared<nn::Linear>(120, 84))),
        fc3(register_module("fc3", std::make_shared<nn::Linear>(84, 10))) {}

  // input (N,3,32,32) [or (N,1,28,28)] -> logits (N,10)
  Tensor forward(const Tensor& input) override {
    namespace F = nn::functional;
    Tensor x = (*pool)(F::relu((*conv1)(input)));  // (N,6,14,14)
    x = (*pool)(F::relu((*conv2)(x)));              // (N,16,5,5)
    x = x.view({-1, 16 * 5 * 5});                   // (N,400)
    x = F::relu((*fc1)(x));                         // (N,120)
    x = F::relu((*fc2)(x));                         // (N,84)
    return (*fc3)(x);                               // (N,10)
  }

  // Registered in the tutorial's order: the order of parameters() and state_dict().
  std::shared_ptr<nn::Conv2d> conv1;
  std::shared_ptr<nn::MaxPool2d> pool;
  std::shared_ptr<nn::Conv2d> conv2;
  std::shared_ptr<nn::Linear> fc1;
  std::shared_ptr<nn::Linear> fc2;
  std::shared_ptr<nn::Linear> fc3;
};

}  // namespace ember::examples
