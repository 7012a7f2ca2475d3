// The autograd engine: recording nodes, and running backward in reverse topological order.
#include "ember/tensor/autograd.h"

#include <unordered_map>

#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"

namespace ember {

namespace {
thread_local bool grad_mode = true;
}

bool grad_mode_enabled() { return grad_mode; }
void set_grad_mode(bool enabled) { grad_mode = enabled; }

namespace autograd {

SavedTensor::SavedTensor(const Tensor& tensor)
    : data_(tensor.defined() ? tensor.detach() : Tensor()),
      version_(tensor.defined() ? tensor.storage()->version() : 0) {}

Tensor SavedTensor::get() const {
  if (data_.defined() && data_.storage()->version() != version_) {
    throw Error(str("one of the variables needed for gradient computation has been modified by an "
                    "inplace operation: [", dtype_name(data_.dtype()), " ", shape_str(data_.shape()),
                    "] is at version ", data_.storage()->version(), "; expected version ", version_,
                    " instead."));
  }
  return data_;
}

Node::~Node() {
  // Take ownership of the edges' nodes and free the ones nobody else holds in a loop, so a
  // long chain is destroyed without deep recursion.
  std::vector<std::shared_ptr<Node>> pending;
  for (Edge& e : next) {
    if (e.node) pending.push_back(std::move(e.node));
  }
  backward = nullptr;
  while (!pending.empty()) {
    std::shared_ptr<Node> node = std::move(pending.back());
    pending.pop_back();
    if (node.use_count() == 1) {
      for (Edge& e : node->next) {
        if (e.node) pending.push_back(std::move(e.node));
      }
    }
    // node goes out of scope here; its own next is already empty, so no recursion.
  }
}

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!grad_mode_enabled()) return false;
  for (const Tensor& t : inputs) {
    if (t.defined() && t.requires_grad()) return true;
  }
  return false;
}

Tensor& record(Tensor& output, const char* name, const std::vector<Tensor>& inputs,
               BackwardFn fn) {
  if (!needs_grad(inputs)) return output;
  auto node = std::make_shared<Node>();
  node->name = name;
  node->backward = std::move(fn);
  node->output_shape = output.shape();
  node->output_dtype = output.dtype();
  node->next.reserve(inputs.size());
  for (const Tensor& t : inputs) {
    Edge edge;
    if (t.defined() && t.requires_grad()) {
      if (t.grad_fn()) edge.node = t.grad_fn();
      else edge.leaf = t.impl_ptr();
    }
    node->next.push_back(std::move(edge));
  }
  output.impl()->requires_grad = true;
  output.impl()->grad_fn = std::move(node);
  return output;
}

namespace {

// .grad += g for a leaf. The first gradient is copied, so that a later in-place accumulation
// never writes into a tensor that is also someone else's gradient.
void accumulate_into_leaf(TensorImpl& leaf, const Tensor& g) {
  Tensor grad = g.dtype() == leaf.dtype ? g : g.to(leaf.dtype);
  check(grad.shape() == leaf.shape, "backward: gradient of shape ", grad.shape(),
        " does not match the leaf's shape ", leaf.shape);
  if (!leaf.grad) {
    // Steal the gradient when nothing else can see its memory (PyTorch does the same);
    // otherwise copy it. Saves a parameter-sized copy per leaf and step.
    const bool sole_owner = grad.impl_ptr().use_count() <= 2 && grad.storage().use_count() == 1 &&
                            grad.is_contiguous() && grad.storage_offset() == 0;
    leaf.grad = sole_owner ? grad.impl_ptr() : grad.clone().impl_ptr();
  } else {
    Tensor(leaf.grad).add_(grad);
  }
}

// Nodes reachable from root, each with the number of edges that point at it from other
// reachable nodes (how many gradients it must wait for). Iterative depth-first search.
std::unordered_map<Node*, int> count_dependencies(Node* root) {
  std::unordered_map<Node*, int> deps;
  deps[root] = 0;
  std::vector<Node*> stack{root};
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    for (const Edge& e : node->next) {
      if (!e.node) continue;
      auto [it, inserted] = deps.try_emplace(e.node.get(), 0);
      ++it->second;
      if (inserted) stack.push_back(e.node.get());
    }
  }
  return deps;
}

}  // namespace

void run_backward(const Tensor& root, const Tensor& grad_root, bool retain_graph) {
  check(root.defined(), "backward: called on an undefined tensor");
  check(root.requires_grad(),
        "backward: element 0 of tensors does not require grad and does not have a grad_fn");
  Tensor grad = grad_root;
  if (!grad.defined()) {
    check(root.numel() == 1, "backward: grad can be implicitly created only for scalar outputs "
          "(found a tensor of shape ", root.shape(), ")");
    grad = ones(root.shape(), root.dtype());
  }
  check(grad.shape() == root.shape(), "backward: gradient has shape ", grad.shape(),
        ", expected ", root.shape(), " (the shape of the tensor)");

  NoGradGuard no_grad;  // backward functions build no graph of their own
  if (root.is_leaf()) {
    accumulate_into_leaf(*root.impl(), grad);
    return;
  }

  std::shared_ptr<Node> root_node = root.grad_fn();
  std::unordered_map<Node*, int> deps = count_dependencies(root_node.get());
  std::unordered_map<Node*, Tensor> pending;  // gradients summed so far, per node
  pending[root_node.get()] = grad;
  // Kahn's algorithm: a node runs once every node that feeds it a gradient has run. Nodes
  // are kept alive by the root's chain of shared_ptrs while they wait.
  std::vector<Node*> ready{root_node.get()};
  while (!ready.empty()) {
    Node* node = ready.back();
    ready.pop_back();
    // A node whose every incoming gradient was undefined still runs, as a no-op, so that
    // the nodes behind it get their dependency counts down to zero.
    std::vector<Tensor> grads(node->next.size());
    auto found = pending.find(node);
    if (found != pending.end()) {
      Tensor grad_out = std::move(found->second);
      pending.erase(found);
      check(static_cast<bool>(node->backward),
            "backward: Trying to backward through the graph a second time (or directly access "
            "saved tensors after they have already been freed). Saved intermediate values of the "
            "graph are freed when you call .backward(). Specify retain_graph=true if you need to "
            "backward through the graph a second time.");
      grads = node->backward(grad_out);
      check(grads.size() == node->next.size(), "backward: ", node->name, " returned ",
            grads.size(), " gradients, expected ", node->next.size());
    }
    if (!retain_graph) node->backward = nullptr;  // frees the saved tensors now

    for (std::size_t i = 0; i < grads.size(); ++i) {
      const Edge& edge = node->next[i];
      if (edge.leaf) {
        if (grads[i].defined()) accumulate_into_leaf(*edge.leaf, grads[i]);
        continue;
      }
      if (!edge.node) continue;
      Node* next = edge.node.get();
      if (grads[i].defined()) {
        auto [it, inserted] = pending.try_emplace(next, grads[i]);
        if (!inserted) it->second = it->second + grads[i];
      }
      if (--deps[next] == 0) ready.push_back(next);
    }
  }
}

}  // namespace autograd
}  // namespace ember
