// Sequential, ModuleList, Flatten and the activation modules: registration under "0", "1", ...,
// chaining, indexing, and forward results.
#include <doctest/doctest.h>

#include "ember/nn/activation.h"
#include "ember/nn/batch_norm.h"
#include "ember/nn/flatten.h"
#include "ember/nn/functional.h"
#include "ember/nn/linear.h"
#include "ember/nn/module_list.h"
#include "ember/nn/sequential.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"

namespace ember {
namespace {

TEST_CASE("Sequential: keys 0.weight, 1.bias, ...; forward chains; indexing") {
  manual_seed(51);
  auto net = std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(4, 8),
                                              std::make_shared<nn::ReLU>(),
                                              std::make_shared<nn::Linear>(8, 2));
  CHECK(net->size() == 3);
  CHECK(net->state_dict().keys() ==
        std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  const Tensor x = randn({5, 4});
  auto first = net->at<nn::Linear>(0), last = net->at<nn::Linear>(-1);
  const Tensor expected = nn::functional::linear(
      nn::functional::relu(nn::functional::linear(x, first->weight, first->bias)), last->weight,
      last->bias);
  CHECK(allclose((*net)(x), expected));
  CHECK((*net)[1]->type_name() == "ReLU");

  net->push_back(std::make_shared<nn::Tanh>());
  CHECK(net->named_children().back().first == "3");
  nn::Sequential from_vector({std::make_shared<nn::ReLU>(), std::make_shared<nn::Sigmoid>()});
  CHECK(allclose(from_vector(tensor({-1.0, 0.0})), tensor({0.5, 0.5})));

  CHECK_THROWS_WITH_AS((*net)[4], "Sequential: index 4 is out of range (size 4)", Error);
  CHECK_THROWS_WITH_AS(net->at<nn::Linear>(1),
                       "Sequential: module 1 is a ReLU, not the type asked for", Error);
}

TEST_CASE("ModuleList: registers its modules; the owner decides how to call them") {
  nn::ModuleList list;
  list.append(std::make_shared<nn::Linear>(3, 3));
  list.extend({std::make_shared<nn::BatchNorm2d>(2), std::make_shared<nn::Linear>(3, 1)});
  CHECK(list.size() == 3);
  CHECK(list.state_dict().keys() ==
        std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                 "1.running_var", "1.num_batches_tracked", "2.weight", "2.bias"});
  CHECK(list.at<nn::Linear>(2)->options.out_features() == 1);
  list.eval();
  CHECK_FALSE(list[1]->is_training());
  CHECK_THROWS_AS(list.forward(randn({2, 3})), Error);
}

TEST_CASE("Flatten and activations") {
  const Tensor x = randn({2, 3, 4, 5});
  CHECK(nn::Flatten()(x).shape() == Shape{2, 60});
  CHECK(nn::Flatten(nn::FlattenOptions().start_dim(0).end_dim(1))(x).shape() == Shape{6, 4, 5});
  CHECK(nn::Flatten(nn::FlattenOptions().start_dim(2))(x).shape() == Shape{2, 3, 20});
  CHECK(nn::Flatten(nn::FlattenOptions().end_dim(2))(x).shape() == Shape{2, 12, 5});
  CHECK(equal(nn::ReLU()(tensor({-1.0, 2.0})), tensor({0.0, 2.0})));
  CHECK(allclose(nn::Tanh()(x), x.tanh()));
  CHECK(allclose(nn::Softmax(1)(x), nn::functional::softmax(x, 1)));
  CHECK(allclose(nn::LogSoftmax(-1)(x), nn::functional::log_softmax(x, -1)));
  CHECK(allclose(nn::Softmax(nn::SoftmaxOptions(1).dim(2))(x), nn::functional::softmax(x, 2)));
  CHECK(nn::LogSoftmax(nn::LogSoftmaxOptions(0)).options.dim() == 0);
}

}  // namespace
}  // namespace ember
