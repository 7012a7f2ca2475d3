// train_lenet: trains LeNet-5, the tutorial's TheModelClass for 1x28x28 images
// (examples/the_model_class.h), on Fashion-MNIST, writing a checkpoint that PyTorch opens at the
// end of every epoch, and resumes from one exactly.
//
//   train_lenet --epochs 2 --checkpoint runs/lenet.pt --metrics runs/metrics.csv --plot runs/metrics.svg
//   train_lenet --epochs 3 --resume runs/lenet.pt --metrics runs/metrics.csv --plot runs/metrics.svg
//
// The checkpoint is the dict of PyTorch's "Saving and loading models" tutorial,
//   {'epoch', 'model_state_dict', 'optimizer_state_dict', 'loss'}
// plus, under keys of its own, what a bit-exact resume needs (as llm.c's state file does):
//   'ember_format'           "train_lenet/1", so --resume can tell a checkpoint it understands
//   'ember_recipe'           seed, batch size, lr, momentum and data limits of the run
//   'ember_generator_state'  the random generator after the epoch (uint8 tensor)
//   'ember_loader_state'     the data loader's position
//   'ember_metrics'          one dict per epoch so far, from which the CSV and plot are rebuilt
// Training 3 epochs in one run, or 1 epoch and then --resume up to 3, gives the same bits when
// both use the same --threads (the order of floating-point sums depends on the thread count).
#include <omp.h>

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "ember/data/data_loader.h"
#include "ember/data/idx.h"
#include "ember/train/metrics.h"
#include "ember/train/plot.h"
#include "ember/train/progress.h"
#include "the_model_class.h"
#include "ember/optim/sgd.h"
#include "ember/serialize/serialize.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/generator.h"

using namespace ember;

namespace {

constexpr const char* kFormat = "train_lenet/1";
constexpr const char* kPlotTitle = "LeNet-5 on Fashion-MNIST";

// What decides a run's numbers. A resumed run takes it from the checkpoint so that it
// continues exactly the run that wrote it.
struct Recipe {
  std::int64_t seed = 0;
  std::int64_t batch_size = 64;
  double lr = 0.01;
  double momentum = 0.9;
  std::int64_t limit_train = 0;  // use at most this many training images; 0: all
  std::int64_t limit_test = 0;

  Value to_value() const {
    return Value{{"seed", seed}, {"batch_size", batch_size}, {"lr", lr}, {"momentum", momentum},
                 {"limit_train", limit_train}, {"limit_test", limit_test}};
  }
};

struct Options {
  Recipe recipe;
  std::string data = "/usr/share/datasets/fashion-mnist";
  int epochs = 5;
  int threads = omp_get_max_threads();
  std::string checkpoint, resume, metrics, plot;
  double log_interval = 5.0;
};

// The first `limit` examples of the training or test set (all when limit is 0).
data::TensorDataset load_data(const std::string& dir, bool train, std::int64_t limit) {
  data::TensorDataset all = data::load_mnist(dir, train);  // normalized with mean 0.2860, std 0.3530
  if (limit == 0 || limit >= all.size()) return all;
  return data::TensorDataset(all.inputs().narrow(0, 0, limit), all.targets().narrow(0, 0, limit));
}

// Replaces options.recipe with the checkpoint's. A flag given on the command line must agree
// with it: a resume that silently changed the learning rate would not be the run it continues.
void adopt_recipe(const Value& checkpoint, const std::string& path, Options& options,
                  const CLI::App& app) {
  const Value* format = checkpoint.is_dict() ? checkpoint.find("ember_format") : nullptr;
  check(format != nullptr && format->is_string() && format->as_string() == kFormat, path,
        ": not a train_lenet checkpoint (expected the key 'ember_format' = '", kFormat,
        "'); --resume continues a file written by train_lenet --checkpoint");
  const Value& saved = checkpoint.at("ember_recipe");
  Recipe& r = options.recipe;
  auto adopt = [&](const char* flag, const char* key, auto& field) {
    using T = std::decay_t<decltype(field)>;
    const T value = std::is_integral_v<T> ? static_cast<T>(saved.at(key).as_int())
                                          : static_cast<T>(saved.at(key).as_double());
    check(app.count(flag) == 0 || field == value, flag, " ", field, " differs from the value ",
          value, " in ", path, ": a resumed run continues the checkpoint's recipe (leave ", flag,
          " out, or start a new run without --resume)");
    field = value;
  };
  adopt("--seed", "seed", r.seed);
  adopt("--batch-size", "batch_size", r.batch_size);
  adopt("--lr", "lr", r.lr);
  adopt("--momentum", "momentum", r.momentum);
  adopt("--limit-train", "limit_train", r.limit_train);
  adopt("--limit-test", "limit_test", r.limit_test);
}

// Mean cross-entropy and accuracy (a fraction) over a dataset, without building a graph.
std::pair<double, double> evaluate(nn::Module& model, const data::Dataset& dataset) {
  NoGradGuard no_grad;
  model.eval();  // no dropout or batch norm here, but the tutorial's rule: eval() before testing
  data::DataLoader loader(dataset, {/*batch_size=*/1000});
  double loss_sum = 0.0;
  std::int64_t correct = 0;
  const auto summed = nn::functional::CrossEntropyFuncOptions().reduction(nn::Reduction::sum);
  while (auto batch = loader.next()) {
    Tensor logits = model(batch->input);  // (B,10)
    loss_sum += nn::functional::cross_entropy(logits, batch->target, summed).item();
    correct += logits.argmax(1).eq(batch->target).sum().item<std::int64_t>();
  }
  model.train();
  const auto n = static_cast<double>(dataset.size());
  return {loss_sum / n, static_cast<double>(correct) / n};
}

// One epoch: a step of SGD per batch, then the test set. Prints the progress bar and the
// summary line, and returns the epoch's row of metrics.
data::EpochMetrics run_epoch(int epoch, const Options& options, nn::Module& model,
                             optim::Optimizer& optimizer, data::DataLoader& loader,
                             const data::Dataset& test_set) {
  data::ProgressOptions bar;
  bar.label = "epoch " + std::to_string(epoch) + "/" + std::to_string(options.epochs);
  bar.interval_seconds = options.log_interval;
  data::ProgressBar progress(loader.num_batches(), bar);
  while (auto batch = loader.next()) {
    Tensor loss = nn::functional::cross_entropy(model(batch->input), batch->target);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    progress.update(batch->size(), loss.item());
  }
  const auto [test_loss, test_accuracy] = evaluate(model, test_set);
  char summary[96];
  std::snprintf(summary, sizeof summary, ", test loss %.4f, test accuracy %.4f", test_loss,
                test_accuracy);
  const double seconds = progress.elapsed_seconds();
  progress.finish(summary);
  return {epoch, progress.mean_loss(), test_loss, test_accuracy, seconds};
}

// Creates the folders the output files go in, so a bad path fails now rather than after an epoch.
void make_parent_folders(const Options& options) {
  for (const std::string* path : {&options.checkpoint, &options.metrics, &options.plot}) {
    const std::filesystem::path parent = std::filesystem::path(*path).parent_path();
    if (!path->empty() && !parent.empty()) std::filesystem::create_directories(parent);
  }
}

int train(Options options, const CLI::App& app) {
  Value resumed;
  if (!options.resume.empty()) {
    resumed = ember::load(options.resume);
    adopt_recipe(resumed, options.resume, options, app);
    // Keep writing the checkpoint we resumed from, unless told otherwise.
    if (options.checkpoint.empty()) options.checkpoint = options.resume;
  }
  make_parent_folders(options);
  const Recipe& recipe = options.recipe;
  // ember's kernels, its GEMM included, split their work among OpenMP's threads.
  omp_set_num_threads(options.threads);

  data::TensorDataset train_set = load_data(options.data, /*train=*/true, recipe.limit_train);
  data::TensorDataset test_set = load_data(options.data, /*train=*/false, recipe.limit_test);

  // One seeded generator draws the initial weights and then every epoch's shuffle.
  manual_seed(static_cast<std::uint64_t>(recipe.seed));
  examples::TheModelClass model(/*in_channels=*/1, /*conv1_padding=*/2);  // 28x28 in, 16x5x5 at fc1
  optim::SGD optimizer(model.parameters(), optim::SGDOptions(recipe.lr).momentum(recipe.momentum));
  data::DataLoader loader(train_set, {recipe.batch_size, /*shuffle=*/true}, &default_generator());
  data::MetricsLog metrics(options.metrics);  // rewrites the CSV whole after every epoch

  int start_epoch = 0;
  if (!options.resume.empty()) {
    // The tutorial's resume, plus the generator and the loader for an exact one.
    model.load_state_dict(resumed.at("model_state_dict"));
    optimizer.load_state_dict(resumed.at("optimizer_state_dict"));
    default_generator().set_state(resumed.at("ember_generator_state").as_tensor());
    loader.load_state(resumed.at("ember_loader_state"));
    metrics.load_state(resumed.at("ember_metrics"));
    start_epoch = static_cast<int>(resumed.at("epoch").as_int());
  }

  std::cout << model << "\n"
            << train_set.size() << " training and " << test_set.size() << " test images from "
            << options.data << "; batch size " << recipe.batch_size << ", SGD(lr=" << recipe.lr
            << ", momentum=" << recipe.momentum << "), seed " << recipe.seed << ", "
            << options.threads << " threads\n";
  if (start_epoch > 0) std::cout << "resumed from " << options.resume << " after epoch " << start_epoch << "\n";
  if (start_epoch >= options.epochs) {
    std::cout << "already trained " << start_epoch << " epochs; raise --epochs to train more\n";
  }

  for (int epoch = start_epoch + 1; epoch <= options.epochs; ++epoch) {
    const data::EpochMetrics row = run_epoch(epoch, options, model, optimizer, loader, test_set);
    metrics.append(row);
    if (!options.checkpoint.empty()) {
      ember::save({{"epoch", epoch},
                   {"model_state_dict", model.state_dict()},
                   {"optimizer_state_dict", optimizer.state_dict()},
                   {"loss", row.train_loss},
                   {"ember_format", kFormat},
                   {"ember_recipe", recipe.to_value()},
                   {"ember_generator_state", default_generator().get_state()},
                   {"ember_loader_state", loader.state()},
                   {"ember_metrics", metrics.state()}},
                  options.checkpoint);  // atomic: a kill leaves the previous epoch's file
    }
    if (!options.plot.empty()) data::write_metrics_svg(options.plot, metrics.rows(), {kPlotTitle});
  }
  if (!options.plot.empty() && start_epoch >= options.epochs) {
    data::write_metrics_svg(options.plot, metrics.rows(), {kPlotTitle});
  }
  for (const std::string* path : {&options.checkpoint, &options.metrics, &options.plot}) {
    if (!path->empty()) std::cout << "wrote " << *path << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Trains LeNet-5 on Fashion-MNIST with SGD, writing a PyTorch checkpoint every "
               "epoch; --resume continues a run exactly."};
  Options options;
  Recipe& recipe = options.recipe;
  app.add_option("--data", options.data, "folder with the (Fashion-)MNIST IDX files, gzipped or not")
      ->capture_default_str();
  app.add_option("--epochs", options.epochs, "total epochs (a resumed run counts those done)")
      ->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--batch-size", recipe.batch_size, "training images per step")
      ->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--lr", recipe.lr, "SGD learning rate")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--momentum", recipe.momentum, "SGD momentum")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  app.add_option("--threads", options.threads, "CPU threads (same count for a bit-exact resume)")
      ->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--seed", recipe.seed, "seed of the initial weights and the shuffling")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--checkpoint", options.checkpoint,
                 "checkpoint written at the end of every epoch (PyTorch format, atomically)");
  app.add_option("--resume", options.resume,
                 "continue from this checkpoint (and keep writing it unless --checkpoint is given)");
  app.add_option("--metrics", options.metrics, "CSV: epoch,train_loss,test_loss,test_accuracy,seconds");
  app.add_option("--plot", options.plot, "SVG picture of the losses and accuracy per epoch");
  app.add_option("--limit-train", recipe.limit_train, "train on the first N images only (0: all)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--limit-test", recipe.limit_test, "test on the first N images only (0: all)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--log-interval", options.log_interval,
                 "seconds between progress lines when the output is not a terminal")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 1;  // --help prints and exits 0; a bad flag exits 1
  }

  try {
    return train(options, app);
  } catch (const std::exception& e) {  // ember::Error and the file system's errors
    std::cerr << "train_lenet: " << e.what() << "\n";
    return 1;
  }
}
