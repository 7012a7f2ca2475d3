// A user's program: it includes ember's umbrella header and uses a little of everything. The
// test suite compiles it with -Wall -Wextra -Wpedantic -Wshadow -Werror, with GCC and clang, so
// that ember's headers never add warnings to the code of the projects that use them.
#include <ember/ember.h>

#include <iostream>

int main() {
  using namespace ember;
  auto model = std::make_shared<nn::Sequential>();
  model->push_back(std::make_shared<nn::Linear>(4, 3));
  model->push_back(std::make_shared<nn::ReLU>());
  optim::SGD optimizer(model->parameters(), optim::SGDOptions(0.1).momentum(0.9));
  const Tensor input = randn({2, 4});
  const Tensor loss = (*model)(input).sum();
  optimizer.zero_grad();
  loss.backward();
  optimizer.step();
  std::cout << loss.item() << "\n";
  return 0;
}
