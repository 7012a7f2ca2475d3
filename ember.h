// ember's public API in one include: tensors and autograd, layers, optimizers, checkpoints,
// data. `#include "ember.h"` and link the `ember` library.
#pragma once

// Tensors and autograd.
#include "tensor/autograd.h"
#include "tensor/dtype.h"
#include "tensor/error.h"
#include "tensor/factories.h"
#include "tensor/generator.h"
#include "tensor/ops.h"
#include "tensor/tensor.h"

// Layers, functions, losses, initialisation (torch.nn).
#include "nn/activation.h"
#include "nn/adaptive_avg_pool2d.h"
#include "nn/avg_pool2d.h"
#include "nn/batch_norm.h"
#include "nn/conv2d.h"
#include "nn/dropout.h"
#include "nn/flatten.h"
#include "nn/functional.h"
#include "nn/init.h"
#include "nn/linear.h"
#include "nn/loss.h"
#include "nn/max_pool2d.h"
#include "nn/module.h"
#include "nn/module_list.h"
#include "nn/sequential.h"
#include "nn/state_dict.h"

// Optimizers and learning-rate schedulers (torch.optim).
#include "optim/optim.h"

// Checkpoints: PyTorch's .pt format and safetensors (torch.save / torch.load).
#include "serialize/serialize.h"
#include "serialize/value.h"

// Data: datasets, the loader, and the training-program helpers.
#include "data/cifar10.h"
#include "data/data_loader.h"
#include "data/dataset.h"
#include "data/idx.h"
#include "data/metrics.h"
#include "data/plot.h"
#include "data/progress.h"
