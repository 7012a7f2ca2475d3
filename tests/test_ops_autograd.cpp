// Autograd behaviour seen from the ops: gradient accumulation, retain_graph, freed graphs,
// NoGradGuard, detach, grad_fn names, in-place modification detection, a graph of a million ops
// that frees itself, and relu's NaN.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>

#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"

using namespace ember;

namespace {
const char* kFreedGraph =
    "backward: Trying to backward through the graph a second time (or directly access saved "
    "tensors after they have already been freed). Saved intermediate values of the graph are "
    "freed when you call .backward(). Specify retain_graph=true if you need to backward through "
    "the graph a second time.";

std::string grad_fn_name(const Tensor& t) { return t.grad_fn() ? t.grad_fn()->name : "(none)"; }
}  // namespace

TEST_CASE("autograd: .grad accumulates across backward calls") {
  Tensor x = tensor({1.0, -2.0, 3.0}).requires_grad_();
  (x * x).sum().backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{2.0, -4.0, 6.0});
  (x * x).sum().backward();  // a new graph: adds 2x again
  CHECK(x.grad().to_vector<double>() == std::vector<double>{4.0, -8.0, 12.0});
  x.grad().zero_();
  x.sum().backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{1.0, 1.0, 1.0});
}

TEST_CASE("autograd: retain_graph allows a second backward; without it the graph is freed") {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  Tensor y = (x.exp() * x).sum();
  y.backward(Tensor(), /*retain_graph=*/true);
  const std::vector<double> once = x.grad().to_vector<double>();
  y.backward();  // reuses the retained graph, then frees it
  const std::vector<double> twice = x.grad().to_vector<double>();
  for (std::size_t i = 0; i < once.size(); ++i) CHECK(twice[i] == doctest::Approx(2 * once[i]));
  CHECK_THROWS_WITH_AS(y.backward(), kFreedGraph, ember::Error);
}

TEST_CASE("autograd: a graph freed by one backward cannot be used by another") {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  Tensor h = x * x;  // shared by two losses
  h.sum().backward();
  CHECK_THROWS_WITH_AS((h * 2.0).sum().backward(), kFreedGraph, ember::Error);
}

TEST_CASE("autograd: backward with an explicit gradient, and its checks") {
  Tensor x = tensor({1.0, 2.0, 3.0}).requires_grad_();
  Tensor y = x * 3.0;
  y.backward(tensor({1.0, 0.5, -1.0}));
  CHECK(x.grad().to_vector<double>() == std::vector<double>{3.0, 1.5, -3.0});
  CHECK_THROWS_WITH_AS((x * 3.0).backward(),
                       "backward: grad can be implicitly created only for scalar outputs (found a "
                       "tensor of shape (3,))",
                       ember::Error);
  CHECK_THROWS_WITH_AS(tensor({1.0}).backward(),
                       "backward: element 0 of tensors does not require grad and does not have a "
                       "grad_fn",
                       ember::Error);
}

TEST_CASE("autograd: NoGradGuard records nothing and restores the mode") {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  CHECK(grad_mode_enabled());
  {
    NoGradGuard guard;
    CHECK_FALSE(grad_mode_enabled());
    Tensor y = matmul(x, x) + x.sum();
    CHECK_FALSE(y.requires_grad());
    CHECK(y.grad_fn() == nullptr);
    {
      NoGradGuard nested;
      CHECK_FALSE(grad_mode_enabled());
    }
    CHECK_FALSE(grad_mode_enabled());
  }
  CHECK(grad_mode_enabled());
  CHECK(x.sum().requires_grad());
}

TEST_CASE("autograd: detach shares data and stops gradients") {
  Tensor x = tensor({1.0, 2.0, 3.0}).requires_grad_();
  Tensor y = x * 2.0;
  Tensor d = y.detach();
  CHECK_FALSE(d.requires_grad());
  CHECK(d.grad_fn() == nullptr);
  CHECK(d.is_leaf());
  CHECK(d.storage() == y.storage());
  // Only the first factor carries a gradient: d(d * x)/dx = d.
  (d * x).sum().backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{2.0, 4.0, 6.0});
}

TEST_CASE("autograd: leaves, non-leaves and requires_grad propagation") {
  Tensor x = ones({2, 2}).requires_grad_();
  Tensor c = ones({2, 2});
  CHECK(x.is_leaf());
  Tensor y = x.matmul(c);
  CHECK_FALSE(y.is_leaf());
  CHECK(y.requires_grad());
  CHECK_FALSE((c + c).requires_grad());
  CHECK_FALSE(argmax(x, 0).requires_grad());
  CHECK_FALSE(x.max(0).second.requires_grad());
  CHECK_FALSE(eq(x, c).requires_grad());
  // Gradients reach only leaves: the intermediate y keeps no .grad.
  y.sum().backward();
  CHECK_FALSE(y.grad().defined());
  CHECK(x.grad().to_vector<double>() == std::vector<double>{2.0, 2.0, 2.0, 2.0});
}

TEST_CASE("autograd: grad_fn names follow PyTorch") {
  Tensor x = randn({2, 3}).requires_grad_();
  Tensor v = randn({3}).requires_grad_();
  CHECK(grad_fn_name(x) == "(none)");
  CHECK(grad_fn_name(x + x) == "AddBackward0");
  CHECK(grad_fn_name(x - x) == "SubBackward0");
  CHECK(grad_fn_name(x * x) == "MulBackward0");
  CHECK(grad_fn_name(x / 2.0) == "DivBackward0");
  CHECK(grad_fn_name(x.exp()) == "ExpBackward0");
  CHECK(grad_fn_name(x.sum()) == "SumBackward0");
  CHECK(grad_fn_name(x.sum({1})) == "SumBackward1");
  CHECK(grad_fn_name(x.mean()) == "MeanBackward0");
  CHECK(grad_fn_name(x.mean({0}, true)) == "MeanBackward1");
  CHECK(grad_fn_name(x.max()) == "MaxBackward1");
  CHECK(grad_fn_name(x.max(1).first) == "MaxBackward0");
  CHECK(grad_fn_name(matmul(v, v)) == "DotBackward0");
  CHECK(grad_fn_name(matmul(x, v)) == "MvBackward0");
  CHECK(grad_fn_name(matmul(x, x.t())) == "MmBackward0");
  CHECK(grad_fn_name(matmul(x.unsqueeze(0), x.t())) == "BmmBackward0");
  CHECK(grad_fn_name(cat({x, x})) == "CatBackward0");
  CHECK(grad_fn_name(stack({x, x})) == "StackBackward0");
  CHECK(grad_fn_name(where(gt(x, 0.0), x, x)) == "WhereBackward0");
  CHECK(grad_fn_name(x.t()) == "TransposeBackward0");
  CHECK(grad_fn_name(x.view({6})) == "ViewBackward0");
}

TEST_CASE("autograd: an in-place change to a saved tensor is detected") {
  Tensor x = tensor({1.0, 2.0, 3.0}).requires_grad_();
  Tensor y = x.exp();  // exp saves its output for backward
  Tensor loss = y.sum();
  {
    NoGradGuard guard;  // a write the graph does not see, as an optimizer's would be
    y.add_(1.0);
  }
  CHECK_THROWS_WITH_AS(loss.backward(),
                       "one of the variables needed for gradient computation has been modified "
                       "by an inplace operation: [float32 (3,)] is at version 1; expected version "
                       "0 instead.",
                       ember::Error);

  // The same for an input saved by matmul, changed through a view of it.
  Tensor w = ones({2, 2}).requires_grad_();
  Tensor a = ones({2, 2});
  Tensor out = matmul(a, w).sum();
  a.select(0, 0).fill_(5.0);
  CHECK_THROWS_AS(out.backward(), ember::Error);
}

TEST_CASE("autograd: a graph of a million ops frees itself after backward") {
#if defined(__SANITIZE_ADDRESS__)
  constexpr int kOps = 200000;  // the sanitized build is several times slower; its leak check
                                // covers the rest
#else
  constexpr int kOps = 1000000;
#endif
  Tensor x = ones({1}).requires_grad_();
  Tensor w = ones({1}).requires_grad_();
  std::weak_ptr<autograd::Node> first_node;
  std::weak_ptr<Storage> first_buffer;
  {
    Tensor y = x;
    for (int i = 0; i < kOps; ++i) {
      y = y * w;  // MulBackward0 saves y for w's gradient: one node and one buffer per op
      if (i == 0) {
        first_node = y.grad_fn();
        first_buffer = y.storage();
      }
    }
    CHECK_FALSE(first_node.expired());
    CHECK_FALSE(first_buffer.expired());  // held by the second node, for its backward
    y.sum().backward();
    CHECK(x.grad().item() == 1.0);
    CHECK(w.grad().item() == static_cast<double>(kOps));
    // Without retain_graph, backward released every saved tensor on its way...
    CHECK(first_buffer.expired());
    CHECK_FALSE(first_node.expired());  // ...while y's grad_fn still holds the chain of nodes
  }
  // ...and with y gone, the nodes go too (iteratively: no stack overflow on a deep chain).
  CHECK(first_node.expired());
}

TEST_CASE("relu: NaN and -0.0 pass through as torch.relu's do, NaN with gradient 1") {
  // torch.relu(tensor([nan, -0., -1., 2.])) = [nan, -0., 0., 2.]; the gradient of its sum is
  // [1, 0, 0, 1].
  Tensor x = tensor({std::nan(""), -0.0, -1.0, 2.0}, {4}, kFloat64).requires_grad_();
  Tensor y = relu(x);
  const std::vector<double> v = y.detach().to_vector<double>();
  CHECK(std::isnan(v[0]));
  CHECK((v[1] == 0.0 && std::signbit(v[1])));
  CHECK(v[2] == 0.0);
  CHECK(v[3] == 2.0);
  y.sum().backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{1, 0, 0, 1});
}
