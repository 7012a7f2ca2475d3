// The README's few-line example, compiled and run: everything through the one header ember.h.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "ember/ember.h"

using namespace ember;

TEST_CASE("umbrella: train a step, checkpoint it as the tutorial does, load it back") {
  manual_seed(0);
  auto model = std::make_shared<nn::Sequential>(
      std::make_shared<nn::Linear>(4, 8), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(8, 3));
  optim::SGD optimizer(model->parameters(), optim::SGDOptions(0.1).momentum(0.9));

  Tensor x = randn({16, 4});
  Tensor y = randint(0, 3, {16});
  Tensor loss = nn::functional::cross_entropy((*model)(x), y);
  optimizer.zero_grad();
  loss.backward();
  optimizer.step();

  const std::string path = std::string(EMBER_BINARY_DIR) + "/umbrella_checkpoint.pt";
  save({{"epoch", 1},
        {"model_state_dict", model->state_dict()},
        {"optimizer_state_dict", optimizer.state_dict()},
        {"loss", loss.item()}},
       path);

  Value checkpoint = load(path);
  auto restored = std::make_shared<nn::Sequential>(
      std::make_shared<nn::Linear>(4, 8), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(8, 3));
  restored->load_state_dict(checkpoint.at("model_state_dict"));
  optim::SGD restored_optimizer(restored->parameters(), optim::SGDOptions(0.1).momentum(0.9));
  restored_optimizer.load_state_dict(checkpoint.at("optimizer_state_dict"));

  CHECK(checkpoint.at("epoch").as_int() == 1);
  CHECK(checkpoint.at("loss").as_double() == loss.item());
  for (const auto& [key, value] : model->state_dict()) {
    INFO(key);
    CHECK(equal(value, restored->state_dict().at(key)));
  }
  restored->eval();
  CHECK(equal((*restored)(x), (*model)(x)));
  std::remove(path.c_str());
}
