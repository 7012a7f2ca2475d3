// The optimizers and learning-rate schedulers (torch.optim), in one include.
#pragma once

#include "ember/optim/adam.h"
#include "ember/optim/lr_scheduler.h"
#include "ember/optim/optimizer.h"
#include "ember/optim/reduce_lr_on_plateau.h"
#include "ember/optim/sgd.h"
