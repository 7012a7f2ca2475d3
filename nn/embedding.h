// Embedding: a lookup table of learned vectors, one row per index (torch.nn.Embedding).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ember/core/arg.h"
#include "ember/nn/module.h"

namespace ember::nn {

// Embedding's arguments: Embedding(EmbeddingOptions(1000, 64).padding_idx(0)). max_norm,
// scale_grad_by_freq and sparse exist for PyTorch's spelling; any value but the default fails
// in the constructor (ember does not renormalise rows or make sparse gradients).
// https://pytorch.org/cppdocs/api/structtorch_1_1nn_1_1_embedding_options.html
struct EmbeddingOptions {
  EmbeddingOptions(std::int64_t num_embeddings, std::int64_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}

  EMBER_ARG(std::int64_t, num_embeddings);
  EMBER_ARG(std::int64_t, embedding_dim);
  EMBER_ARG(std::optional<std::int64_t>, padding_idx);
  EMBER_ARG(std::optional<double>, max_norm);
  EMBER_ARG(double, norm_type) = 2.0;
  EMBER_ARG(bool, scale_grad_by_freq) = false;
  EMBER_ARG(bool, sparse) = false;
};

// Registers weight (num_embeddings, embedding_dim), drawn from N(0, 1) with the padding_idx row
// zeroed. A negative padding_idx counts from the end and is stored as the row it names, as
// PyTorch stores it. forward: int64 indices (*) -> (*, embedding_dim); the padding_idx row gets
// no gradient. Prints "Embedding(10, 3, padding_idx=0)".
// https://pytorch.org/docs/stable/generated/torch.nn.Embedding.html
class Embedding : public Module {
 public:
  explicit Embedding(const EmbeddingOptions& options);
  // PyTorch's short form: Embedding(num_embeddings, embedding_dim).
  Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim)
      : Embedding(EmbeddingOptions(num_embeddings, embedding_dim)) {}

  Tensor forward(const Tensor& input) override;
  // weight from N(0, 1) (default_generator()), then the padding_idx row set to zeros.
  void reset_parameters();

  std::string type_name() const override { return "Embedding"; }
  std::string extra_repr() const override;

  EmbeddingOptions options;
  Tensor weight;  // handle to the registered parameter
};

}  // namespace ember::nn
