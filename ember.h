// ember's public API in one include: tensors and autograd, layers, optimizers, checkpoints,
// data and the training-run helpers. `#include <ember/ember.h>` and link `ember::ember`.
#pragma once

// Value: the Python-like tree that state_dicts and checkpoints are made of.
#include "ember/core/value.h"

// Tensors and autograd, and the finite-difference gradient check (torch.autograd.gradcheck).
#include "ember/tensor/autograd.h"
#include "ember/tensor/dtype.h"
#include "ember/tensor/error.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/generator.h"
#include "ember/tensor/gradcheck.h"
#include "ember/tensor/ops.h"
#include "ember/tensor/tensor.h"

// Layers, functions, losses, initialisation (torch.nn).
#include "ember/nn/activation.h"
#include "ember/nn/adaptive_avg_pool2d.h"
#include "ember/nn/avg_pool2d.h"
#include "ember/nn/batch_norm.h"
#include "ember/nn/conv1d.h"
#include "ember/nn/conv2d.h"
#include "ember/nn/conv_transpose2d.h"
#include "ember/nn/dropout.h"
#include "ember/nn/embedding.h"
#include "ember/nn/flatten.h"
#include "ember/nn/functional.h"
#include "ember/nn/group_norm.h"
#include "ember/nn/identity.h"
#include "ember/nn/init.h"
#include "ember/nn/layer_norm.h"
#include "ember/nn/linear.h"
#include "ember/nn/loss.h"
#include "ember/nn/max_pool2d.h"
#include "ember/nn/module.h"
#include "ember/nn/module_list.h"
#include "ember/nn/sequential.h"
#include "ember/nn/state_dict.h"
#include "ember/nn/utils.h"

// Optimizers and learning-rate schedulers (torch.optim).
#include "ember/optim/optim.h"

// Checkpoints: PyTorch's .pt format and safetensors (torch.save / torch.load), and the
// weights of whole-model files (load_state_dict).
#include "ember/serialize/model_file.h"
#include "ember/serialize/serialize.h"
#include "ember/serialize/whole_model.h"

// Data: datasets and the loader (torch.utils.data, torchvision.datasets).
#include "ember/data/cifar10.h"
#include "ember/data/data_loader.h"
#include "ember/data/dataset.h"
#include "ember/data/idx.h"

// A training run's helpers: progress bar, metrics CSV and plot.
#include "ember/train/metrics.h"
#include "ember/train/plot.h"
#include "ember/train/progress.h"
