// Embedding: F::embedding (a row gather, and its scatter-add backward) and the Embedding layer.
#include "ember/nn/embedding.h"

#include <cstring>

#include "ember/nn/functional.h"
#include "ember/nn/init.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/dispatch.h"
#include "ember/tensor/factories.h"

namespace ember::nn {
namespace {

// What ember refuses, named as PyTorch names the argument.
void check_supported(const std::optional<double>& max_norm, bool scale_grad_by_freq,
                     bool sparse) {
  check(!max_norm, "embedding: max_norm is not supported; ember does not renormalise rows");
  check(!scale_grad_by_freq, "embedding: scale_grad_by_freq=True is not supported");
  check(!sparse, "embedding: sparse=True is not supported; ember's gradients are dense");
}

// padding_idx in [-rows, rows) as a row number; PyTorch's assertion text otherwise.
std::optional<std::int64_t> normalise_padding_idx(std::optional<std::int64_t> padding_idx,
                                                  std::int64_t rows, const char* what) {
  if (!padding_idx) return padding_idx;
  check(*padding_idx < rows && *padding_idx >= -rows, "Padding_idx must be within ", what);
  return *padding_idx < 0 ? *padding_idx + rows : *padding_idx;
}

}  // namespace

namespace functional {

// indices (*) int64, weight (V, D) -> out (*, D): out[i, :] = weight[indices[i], :].
Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& options) {
  check_supported(options.max_norm(), options.scale_grad_by_freq(), options.sparse());
  check(weight.defined() && weight.dim() == 2, "'weight' must be 2-D");
  check(input.defined() && input.dtype() == kInt64,
        "embedding: expected indices of dtype int64, found ",
        input.defined() ? dtype_name(input.dtype()) : "an undefined tensor");
  const std::int64_t rows = weight.size(0), dim = weight.size(1);
  const std::optional<std::int64_t> padding_idx =
      normalise_padding_idx(options.padding_idx(), rows, "weight.size(0)");
  const Tensor indices = input.contiguous(), w = weight.contiguous();
  const std::int64_t* pi = indices.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < indices.numel(); ++i) {
    check(pi[i] >= 0 && pi[i] < rows, "index out of range in self");
  }
  Shape out_shape = input.shape();
  out_shape.push_back(dim);
  Tensor out = empty(out_shape, weight.dtype());
  ember::detail::dispatch_floating(weight.dtype(), "embedding", [&](auto zero) {
    using T = decltype(zero);
    const T* pw = w.data_ptr<T>();
    T* po = out.data_ptr<T>();
    for (std::int64_t i = 0; i < indices.numel(); ++i) {
      std::memcpy(po + i * dim, pw + pi[i] * dim, static_cast<std::size_t>(dim) * sizeof(T));
    }
  });

  // dL/dweight[v, :] = sum over positions i with indices[i] == v of dL/dout[i, :], and zero
  // for v == padding_idx. Summed in position order, on one thread: deterministic.
  return autograd::record(
      out, "EmbeddingBackward0", {weight}, [indices, rows, dim, padding_idx](const Tensor& grad) {
        const Tensor g = grad.contiguous();
        Tensor dw = zeros({rows, dim}, g.dtype());
        ember::detail::dispatch_floating(g.dtype(), "embedding backward", [&](auto zero) {
          using T = decltype(zero);
          const T* pg = g.data_ptr<T>();
          T* pd = dw.data_ptr<T>();
          const std::int64_t* idx = indices.data_ptr<std::int64_t>();
          for (std::int64_t i = 0; i < indices.numel(); ++i) {
            if (padding_idx && idx[i] == *padding_idx) continue;
            for (std::int64_t d = 0; d < dim; ++d) pd[idx[i] * dim + d] += pg[i * dim + d];
          }
        });
        return std::vector<Tensor>{dw};
      });
}

}  // namespace functional

Embedding::Embedding(const EmbeddingOptions& opts) : options(opts) {
  const std::int64_t rows = options.num_embeddings(), dim = options.embedding_dim();
  check(rows > 0 && dim > 0, "Embedding: expected positive num_embeddings and embedding_dim, "
        "found ", rows, " and ", dim);
  check_supported(options.max_norm(), options.scale_grad_by_freq(), options.sparse());
  options.padding_idx(normalise_padding_idx(options.padding_idx(), rows, "num_embeddings"));
  weight = register_parameter("weight", empty({rows, dim}));
  reset_parameters();
}

void Embedding::reset_parameters() {
  init::normal_(weight);
  if (options.padding_idx()) {
    NoGradGuard no_grad;
    weight.select(0, *options.padding_idx()).zero_();
  }
}

Tensor Embedding::forward(const Tensor& input) {
  return functional::embedding(input, weight,
                               functional::EmbeddingFuncOptions().padding_idx(options.padding_idx()));
}

std::string Embedding::extra_repr() const {
  std::string s = str(options.num_embeddings(), ", ", options.embedding_dim());
  if (options.padding_idx()) s += str(", padding_idx=", *options.padding_idx());
  return s;
}

}  // namespace ember::nn
