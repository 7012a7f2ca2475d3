// finetune: warm-starts a model from the parameters of a different one and trains only its head,
// as the init_weights example of PyTorch's "Saving and loading models" tutorial does.
//
//   finetune --pretrained runs/lenet.pt --epochs 2 --save runs/finetuned.pt   (from train_lenet)
//   finetune --synthetic                           (random data and a made-up pretrained model)
//
// The steps, each printed: init_weights (normal_(std=0.001) on every Conv2d weight, 1 and 0 on
// every BatchNorm weight and bias); load the pretrained tensors whose key this model has and
// whose shape fits, reporting every key; freeze the feature layers; print named_parameters with
// requires_grad; train the head (fc3) with SGD over the parameters that still require grad.
// --pretrained takes a bare state_dict or a checkpoint with 'model_state_dict', written by
// ember or by PyTorch. Without it the program makes a stand-in from a differently shaped model.
#include <omp.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "ember/data/data_loader.h"
#include "ember/data/idx.h"
#include "ember/nn/batch_norm.h"
#include "ember/nn/conv2d.h"
#include "ember/nn/functional.h"
#include "ember/nn/init.h"
#include "ember/nn/linear.h"
#include "ember/nn/max_pool2d.h"
#include "ember/nn/module.h"
#include "ember/optim/sgd.h"
#include "ember/serialize/serialize.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/generator.h"

using namespace ember;

namespace {

// The model we fine-tune: LeNet-5 with a BatchNorm after each convolution, for 1x28x28 images.
// Its keys are those of examples/the_model_class.h (TheModelClass(1, 2)) (train_lenet's checkpoints) plus bn1.* and bn2.*.
// conv1 ... fc2 are the feature layers; fc3 is the head.
struct FineTuneNet : nn::Module {
  std::shared_ptr<nn::Conv2d> conv1 =
      register_module("conv1", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(1, 6, 5).padding(2)));
  std::shared_ptr<nn::BatchNorm2d> bn1 = register_module("bn1", std::make_shared<nn::BatchNorm2d>(6));
  std::shared_ptr<nn::MaxPool2d> pool = register_module("pool", std::make_shared<nn::MaxPool2d>(2));
  std::shared_ptr<nn::Conv2d> conv2 = register_module("conv2", std::make_shared<nn::Conv2d>(6, 16, 5));
  std::shared_ptr<nn::BatchNorm2d> bn2 = register_module("bn2", std::make_shared<nn::BatchNorm2d>(16));
  std::shared_ptr<nn::Linear> fc1 = register_module("fc1", std::make_shared<nn::Linear>(16 * 5 * 5, 120));
  std::shared_ptr<nn::Linear> fc2 = register_module("fc2", std::make_shared<nn::Linear>(120, 84));
  std::shared_ptr<nn::Linear> fc3 = register_module("fc3", std::make_shared<nn::Linear>(84, 10));

  // input (N,1,28,28) -> logits (N,10)
  Tensor forward(const Tensor& input) override {
    namespace F = nn::functional;
    Tensor x = (*pool)(F::relu((*bn1)((*conv1)(input))));  // (N,6,14,14)
    x = (*pool)(F::relu((*bn2)((*conv2)(x))));              // (N,16,5,5)
    x = x.view({-1, 16 * 5 * 5});                           // (N,400)
    x = F::relu((*fc1)(x));                                 // (N,120)
    x = F::relu((*fc2)(x));                                 // (N,84)
    return (*fc3)(x);                                       // (N,10)
  }

  std::vector<nn::Module*> features() {
    return {conv1.get(), bn1.get(), conv2.get(), bn2.get(), fc1.get(), fc2.get()};
  }

  // No gradients for the feature layers, and eval mode for them from now on, so that BatchNorm
  // normalises with its running statistics and leaves them as they are.
  void freeze_features() {
    for (nn::Module* layer : features()) layer->requires_grad_(false);
    frozen_ = true;
    train(is_training());
  }
  // train() reaches the head only once the features are frozen.
  void train(bool on = true) override {
    nn::Module::train(on);
    if (frozen_) {
      for (nn::Module* layer : features()) layer->eval();
    }
  }

 private:
  bool frozen_ = false;
};

// The stand-in for a pretrained file: a LeNet trained for 100 classes with an auxiliary
// output. conv1 ... fc2 fit FineTuneNet; fc3 has another shape and `aux` has no place here.
struct PretrainedNet : nn::Module {
  PretrainedNet() {
    register_module("conv1", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(1, 6, 5).padding(2)));
    register_module("conv2", std::make_shared<nn::Conv2d>(6, 16, 5));
    register_module("fc1", std::make_shared<nn::Linear>(16 * 5 * 5, 120));
    register_module("fc2", std::make_shared<nn::Linear>(120, 84));
    register_module("fc3", std::make_shared<nn::Linear>(84, 100));
    register_module("aux", std::make_shared<nn::Linear>(84, 1));
  }
};

struct Options {
  std::string pretrained, data = "/usr/share/datasets/fashion-mnist", save;
  bool synthetic = false;
  int epochs = 2;
  std::int64_t batch_size = 64;
  std::int64_t limit_train = 0;  // 0: all of the data set (1024 synthetic images)
  std::int64_t limit_test = 0;   // 0: all of the data set (256 synthetic images)
  double lr = 0.01;
  int threads = omp_get_max_threads();
  std::uint64_t seed = 0;
};

// The tutorial's init_weights, walking modules() as Python's self.modules().
void init_weights(nn::Module& model) {
  std::cout << "=> init weights from normal distribution\n";
  for (nn::Module* m : model.modules()) {
    if (auto* conv = dynamic_cast<nn::Conv2d*>(m)) {
      nn::init::normal_(conv->weight, 0.0, 0.001);
    } else if (auto* bn = dynamic_cast<nn::BatchNorm2d*>(m)) {
      nn::init::constant_(bn->weight, 1.0);
      nn::init::constant_(bn->bias, 0.0);
    }
  }
}

// A bare state_dict, or the 'model_state_dict' of a checkpoint dict.
nn::StateDict read_pretrained(const std::string& path) {
  const Value file = ember::load(path);
  check(file.is_dict(), path, ": expected a state_dict (a dict of name -> tensor) or a checkpoint "
        "dict with 'model_state_dict', found a ", file.kind_name());
  if (file.contains(Key(std::string("model_state_dict")))) return file.at("model_state_dict");
  return file;
}

// pretrained_dict = {k: v for k, v in pretrained_dict.items() if k in model_dict}, keeping only
// the tensors whose shape fits too (load_state_dict refuses a mismatch even when not strict);
// then model_dict.update(pretrained_dict) and load_state_dict(model_dict).
void load_matching(nn::Module& model, const nn::StateDict& pretrained) {
  nn::StateDict model_dict = model.state_dict();
  int taken = 0;
  for (const auto& [key, value] : pretrained) {
    const Tensor* here = model_dict.find(key);
    if (here == nullptr) {
      std::cout << "=> skipped " << key << ": not in this model\n";
    } else if (here->shape() != value.shape()) {
      std::cout << "=> skipped " << key << ": shape mismatch, expected " << shape_str(here->shape())
                << ", found " << shape_str(value.shape()) << "\n";
    } else {
      std::cout << "=> taken " << key << "\n";
      model_dict.set(key, value);
      ++taken;
    }
  }
  for (const std::string& key : model_dict.keys()) {
    if (!pretrained.contains(key)) std::cout << "=> kept the initial " << key << ": not in the pretrained model\n";
  }
  model.load_state_dict(model_dict);
  std::cout << "=> " << taken << " of " << pretrained.size() << " pretrained tensors taken\n";
}

// The first `limit` examples (all when 0) of Fashion-MNIST, or random images and labels.
data::TensorDataset load_data(const Options& options, bool train) {
  const std::int64_t limit = train ? options.limit_train : options.limit_test;
  if (options.synthetic) {
    const std::int64_t n = limit > 0 ? limit : (train ? 1024 : 256);
    return data::TensorDataset(randn({n, 1, 28, 28}), randint(0, 10, {n}));
  }
  data::TensorDataset all = data::load_mnist(options.data, train);
  if (limit == 0 || limit >= all.size()) return all;
  return data::TensorDataset(all.inputs().narrow(0, 0, limit), all.targets().narrow(0, 0, limit));
}

double accuracy(nn::Module& model, const data::Dataset& dataset) {
  NoGradGuard no_grad;
  model.eval();
  data::DataLoader loader(dataset, {/*batch_size=*/1000});
  std::int64_t correct = 0;
  while (auto batch = loader.next()) {
    correct += model(batch->input).argmax(1).eq(batch->target).sum().item<std::int64_t>();
  }
  model.train();
  return static_cast<double>(correct) / static_cast<double>(dataset.size());
}

// One line for a flag out of range (CLI11's own range messages print 1.79e308 in full).
void check_options(const Options& o) {
  check(o.epochs >= 0, "--epochs must be 0 or more, found ", o.epochs);
  check(o.batch_size >= 1, "--batch-size must be 1 or more, found ", o.batch_size);
  check(o.limit_train >= 0 && o.limit_test >= 0, "--limit-train and --limit-test must be 0 (all) or more");
  check(o.lr > 0.0, "--lr must be positive, found ", o.lr);
  check(o.threads >= 1, "--threads must be 1 or more, found ", o.threads);
}

int finetune(const Options& options) {
  check_options(options);
  omp_set_num_threads(options.threads);
  manual_seed(options.seed);  // the initial weights, the synthetic data and the shuffling

  const std::filesystem::path save_folder = std::filesystem::path(options.save).parent_path();
  if (!save_folder.empty()) std::filesystem::create_directories(save_folder);
  std::string pretrained_path = options.pretrained;
  if (pretrained_path.empty()) {
    // Next to --save's file, or in the temporary folder.
    const std::filesystem::path folder =
        options.save.empty() ? std::filesystem::temp_directory_path() : save_folder;
    pretrained_path = (folder / "finetune_pretrained.pt").string();
    PretrainedNet stand_in;
    ember::save(stand_in.state_dict(), pretrained_path);
    std::cout << "no --pretrained: saved the state_dict of a 100-class LeNet to " << pretrained_path << "\n";
  }
  // Read the inputs first: a bad file fails before the steps below print anything.
  const nn::StateDict pretrained = read_pretrained(pretrained_path);
  const data::TensorDataset train_set = load_data(options, /*train=*/true);
  const data::TensorDataset test_set = load_data(options, /*train=*/false);

  FineTuneNet model;
  init_weights(model);
  std::cout << "=> loading pretrained model " << pretrained_path << "\n";
  load_matching(model, pretrained);

  model.freeze_features();
  for (const auto& [name, param] : model.named_parameters()) {
    std::cout << name << "\t" << (param.requires_grad() ? "True" : "False") << "\n";
  }
  std::vector<Tensor> trainable;
  for (const Tensor& param : model.parameters()) {
    if (param.requires_grad()) trainable.push_back(param);
  }
  optim::SGD optimizer(trainable, optim::SGDOptions(options.lr).momentum(0.9));

  std::cout << train_set.size() << " training and " << test_set.size() << " test images"
            << (options.synthetic ? " (synthetic)" : " from " + options.data) << "\n";
  data::DataLoader loader(train_set, {options.batch_size, /*shuffle=*/true});
  double epoch_loss = 0.0;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    double loss_sum = 0.0;
    while (auto batch = loader.next()) {
      Tensor loss = nn::functional::cross_entropy(model(batch->input), batch->target);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      loss_sum += loss.item() * static_cast<double>(batch->size());
    }
    epoch_loss = loss_sum / static_cast<double>(train_set.size());
    std::printf("epoch %d/%d: train loss %.4f, test accuracy %.4f\n", epoch, options.epochs,
                epoch_loss, accuracy(model, test_set));
    std::fflush(stdout);
  }

  if (!options.save.empty()) {
    ember::save({{"epoch", options.epochs},
                 {"model_state_dict", model.state_dict()},
                 {"optimizer_state_dict", optimizer.state_dict()},
                 {"loss", epoch_loss}},
                options.save);
    std::cout << "wrote " << options.save << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Warm-starts a LeNet with BatchNorm from a pretrained state_dict (the keys and "
               "shapes that fit), freezes its feature layers and trains its head."};
  Options options;
  app.add_option("--pretrained", options.pretrained,
                 ".pt file: a state_dict or a checkpoint with model_state_dict (default: make one)");
  app.add_option("--data", options.data, "folder with the Fashion-MNIST IDX files")->capture_default_str();
  app.add_flag("--synthetic", options.synthetic, "train on random images instead of --data");
  app.add_option("--epochs", options.epochs, "passes over the training images")->capture_default_str();
  app.add_option("--batch-size", options.batch_size, "training images per step")->capture_default_str();
  app.add_option("--limit-train", options.limit_train, "use the first N training images (0: all)")
      ->capture_default_str();
  app.add_option("--limit-test", options.limit_test, "use the first N test images (0: all)")
      ->capture_default_str();
  app.add_option("--lr", options.lr, "SGD learning rate (momentum 0.9)")->capture_default_str();
  app.add_option("--threads", options.threads, "CPU threads")->capture_default_str();
  app.add_option("--seed", options.seed, "seed of the initial weights, the synthetic data and the shuffling")->capture_default_str();
  app.add_option("--save", options.save, "write {epoch, model_state_dict, optimizer_state_dict, loss} here");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 1;  // --help prints and exits 0; a bad flag exits 1
  }
  try {
    return finetune(options);
  } catch (const std::exception& e) {  // ember::Error and the file system's errors
    std::cerr << "finetune: " << e.what() << "\n";
    return 1;
  }
}
