// Reverse-mode automatic differentiation: graph nodes, saved tensors, grad mode, the engine.
//
// Every differentiable op computes its result and, when grad mode is on and an input requires
// grad, records one Node: the op's name, an edge to each input, and a backward function that
// maps the gradient of the output to the gradients of the inputs. Tensor::backward() walks the
// nodes in reverse topological order (micrograd's design, without recursion so that graphs of
// millions of ops work).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ember/tensor/tensor.h"

namespace ember {

// ---- grad mode ----------------------------------------------------------------------------
bool grad_mode_enabled();
void set_grad_mode(bool enabled);

// While alive, ops record no graph (torch.no_grad()).
class NoGradGuard {
 public:
  NoGradGuard() : previous_(grad_mode_enabled()) { set_grad_mode(false); }
  ~NoGradGuard() { set_grad_mode(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

namespace autograd {

// A tensor kept for backward. It holds the data without its graph (no ownership cycle when an
// op saves its own output) and remembers the storage version at save time, so that an in-place
// change before backward is reported instead of silently giving wrong gradients.
class SavedTensor {
 public:
  SavedTensor() = default;
  explicit SavedTensor(const Tensor& tensor);
  // The saved tensor; throws Error if it was modified in place since it was saved.
  Tensor get() const;

 private:
  Tensor data_;
  std::uint64_t version_ = 0;
};

// Maps the gradient of a node's output to one gradient per input (undefined where an input
// needs none).
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

// Where an input's gradient goes: into the node that made it, or, for a leaf that requires
// grad, into the leaf's .grad.
struct Edge {
  std::shared_ptr<Node> node;
  std::shared_ptr<TensorImpl> leaf;
  bool connected() const { return node != nullptr || leaf != nullptr; }
};

struct Node {
  std::string name;  // PyTorch's grad_fn name: "MulBackward0"
  std::vector<Edge> next;  // one per input, in the op's input order
  BackwardFn backward;  // empty once the graph has been freed by a backward pass
  Shape output_shape;
  Dtype output_dtype = kFloat32;

  // Releases the chain of nodes iteratively: a recursive chain of shared_ptr destructors
  // would overflow the stack on a graph of a million ops.
  ~Node();
};

// True when an op on these inputs must record a node.
bool needs_grad(const std::vector<Tensor>& inputs);

// Records that `output` was computed from `inputs` by op `name`, with backward `fn`. Does
// nothing when no input requires grad or grad mode is off. Returns output for chaining.
Tensor& record(Tensor& output, const char* name, const std::vector<Tensor>& inputs,
               BackwardFn fn);

// Runs backward from root with its gradient (PyTorch's torch.autograd.backward).
void run_backward(const Tensor& root, const Tensor& grad_root, bool retain_graph);

}  // namespace autograd
}  // namespace ember
