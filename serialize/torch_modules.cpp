// The torch.nn class table: for each class, its attributes as torch/nn/modules/*.py (PyTorch
// 1.13) sets them in __init__, read back into ember's options and written out of them.
#include "ember/serialize/torch_modules.h"

#include <typeinfo>

#include "ember/nn/activation.h"
#include "ember/nn/adaptive_avg_pool2d.h"
#include "ember/nn/avg_pool2d.h"
#include "ember/nn/batch_norm.h"
#include "ember/nn/conv2d.h"
#include "ember/nn/dropout.h"
#include "ember/nn/embedding.h"
#include "ember/nn/flatten.h"
#include "ember/nn/group_norm.h"
#include "ember/nn/identity.h"
#include "ember/nn/layer_norm.h"
#include "ember/nn/linear.h"
#include "ember/nn/max_pool2d.h"
#include "ember/nn/module_list.h"
#include "ember/nn/sequential.h"

namespace ember::serialize {

// ---- PickledModule -----------------------------------------------------------------------------

PickledModule::PickledModule(const Value& object, std::string path)
    : object_(object), path_(std::move(path)) {}

void PickledModule::fail(const std::string& what) const {
  throw Error((path_.empty() ? std::string("the model") : path_) + " (" + class_name() +
              "): " + what);
}

const Value& PickledModule::attribute(const std::string& name) const {
  if (!object_.hasattr(name)) fail("has no attribute '" + name + "'");
  return object_.getattr(name);
}

bool PickledModule::training() const { return boolean("training"); }

std::int64_t PickledModule::integer(const std::string& name) const {
  const Value& v = attribute(name);
  if (!v.is_int() || v.is_bool())
    fail("attribute '" + name + "': expected an int, found " + v.kind_name());
  return v.as_int();
}

double PickledModule::real(const std::string& name) const {
  const Value& v = attribute(name);
  if (!v.is_number() || v.is_bool())
    fail("attribute '" + name + "': expected a float, found " + v.kind_name());
  return v.as_double();
}

bool PickledModule::boolean(const std::string& name) const {
  const Value& v = attribute(name);
  if (!v.is_bool()) fail("attribute '" + name + "': expected a bool, found " + v.kind_name());
  return v.as_bool();
}

std::string PickledModule::string(const std::string& name) const {
  const Value& v = attribute(name);
  if (!v.is_string()) fail("attribute '" + name + "': expected a str, found " + v.kind_name());
  return v.as_string();
}

nn::Pair PickledModule::pair(const std::string& name) const {
  const Value& v = attribute(name);
  if (v.is_int() && !v.is_bool()) return nn::Pair(v.as_int());
  const bool two_ints = v.is_tuple() && v.size() == 2 && v[0].is_int() && !v[0].is_bool() &&
                        v[1].is_int() && !v[1].is_bool();
  if (!two_ints) {
    fail("attribute '" + name + "': expected an int or a tuple of 2 ints, found " +
         (v.is_string() ? "'" + v.as_string() + "'" : python_repr(v)));
  }
  return nn::Pair(v[0].as_int(), v[1].as_int());
}

bool PickledModule::is_none(const std::string& name) const { return attribute(name).is_none(); }

bool PickledModule::has_attribute(const std::string& name) const { return object_.hasattr(name); }

const Value& PickledModule::attribute_value(const std::string& name) const { return attribute(name); }

bool PickledModule::has_string(const std::string& name) const {
  return attribute(name).is_string();
}

bool PickledModule::has_parameter(const std::string& name) const {
  const Value* p = attribute("_parameters").find(Key(name));
  return p != nullptr && !p->is_none();
}

std::vector<std::pair<std::string, PickledModule>> PickledModule::children() const {
  std::vector<std::pair<std::string, PickledModule>> out;
  const Value& modules = attribute("_modules");
  if (!modules.is_dict()) fail(std::string("_modules: expected a dict, found ") + modules.kind_name());
  for (const auto& [key, child] : modules) {
    if (child.is_none()) continue;
    const std::string name = key_str(key);
    const std::string unquoted = std::holds_alternative<std::string>(key)
                                     ? std::get<std::string>(key)
                                     : name;
    if (!child.is_object()) {
      fail("_modules['" + unquoted + "']: expected a module, found " + child.kind_name());
    }
    out.emplace_back(unquoted, PickledModule(child, path_.empty() ? unquoted : path_ + "." + unquoted));
  }
  return out;
}

// ---- the table ---------------------------------------------------------------------------------

namespace {

template <class M>
bool is(const nn::Module& module) {
  return typeid(module) == typeid(M);
}

template <class M>
const M& as(const nn::Module& module) {
  return static_cast<const M&>(module);
}

// PyTorch stores a window argument as given (2 or (2, 3)); conv layers always as a tuple.
Value pair_value(const nn::Pair& p, bool as_tuple) {
  if (p.single && !as_tuple) return Value(p.h);
  return Value::tuple({Value(p.h), Value(p.w)});
}

Value optional_real(const std::optional<double>& v) { return v ? Value(*v) : Value(); }

// ---- Sequential and ModuleList: no attributes of their own; the caller adds the children.
std::shared_ptr<nn::Module> build_sequential(const PickledModule&) {
  return std::make_shared<nn::Sequential>();
}
std::shared_ptr<nn::Module> build_module_list(const PickledModule&) {
  return std::make_shared<nn::ModuleList>();
}
void write_nothing(const nn::Module&, Value&) {}

// ---- Conv2d: torch.nn.modules.conv._ConvNd.__init__
std::shared_ptr<nn::Module> build_conv2d(const PickledModule& m) {
  if (m.boolean("transposed")) m.fail("transposed=True: ember has no ConvTranspose2d yet");
  // padding='same' / 'valid' (PyTorch 1.9+) is stored as the string.
  if (m.has_string("padding"))
    m.fail("padding='" + m.string("padding") + "': ember's Conv2d takes numeric padding only");
  auto options = nn::Conv2dOptions(m.integer("in_channels"), m.integer("out_channels"),
                                   m.pair("kernel_size"))
                     .stride(m.pair("stride"))
                     .padding(m.pair("padding"))
                     .dilation(m.pair("dilation"))
                     .groups(m.integer("groups"))
                     .bias(m.has_parameter("bias"))
                     .padding_mode(m.string("padding_mode"));
  return std::make_shared<nn::Conv2d>(options);
}
void write_conv2d(const nn::Module& module, Value& d) {
  const nn::Conv2dOptions& o = as<nn::Conv2d>(module).options;
  d.set("in_channels", o.in_channels());
  d.set("out_channels", o.out_channels());
  d.set("kernel_size", pair_value(o.kernel_size(), true));
  d.set("stride", pair_value(o.stride(), true));
  d.set("padding", pair_value(o.padding(), true));
  d.set("dilation", pair_value(o.dilation(), true));
  d.set("transposed", false);
  d.set("output_padding", Value::tuple({Value(0), Value(0)}));
  d.set("groups", o.groups());
  d.set("padding_mode", o.padding_mode());
  // _reverse_repeat_tuple(padding, 2): F.pad's order, last dimension first.
  const nn::Pair& p = o.padding();
  d.set("_reversed_padding_repeated_twice", Value::tuple({Value(p.w), Value(p.w), Value(p.h), Value(p.h)}));
}

// ---- Linear
std::shared_ptr<nn::Module> build_linear(const PickledModule& m) {
  return std::make_shared<nn::Linear>(
      nn::LinearOptions(m.integer("in_features"), m.integer("out_features")).bias(m.has_parameter("bias")));
}
void write_linear(const nn::Module& module, Value& d) {
  const nn::LinearOptions& o = as<nn::Linear>(module).options;
  d.set("in_features", o.in_features());
  d.set("out_features", o.out_features());
}

// ---- BatchNorm2d: torch.nn.modules.batchnorm._NormBase.__init__
std::shared_ptr<nn::Module> build_batch_norm2d(const PickledModule& m) {
  auto options = nn::BatchNorm2dOptions(m.integer("num_features"))
                     .eps(m.real("eps"))
                     .momentum(m.is_none("momentum") ? std::nullopt
                                                     : std::optional<double>(m.real("momentum")))
                     .affine(m.boolean("affine"))
                     .track_running_stats(m.boolean("track_running_stats"));
  return std::make_shared<nn::BatchNorm2d>(options);
}
void write_batch_norm2d(const nn::Module& module, Value& d) {
  const nn::BatchNorm2dOptions& o = as<nn::BatchNorm2d>(module).options;
  d.set("num_features", o.num_features());
  d.set("eps", o.eps());
  d.set("momentum", optional_real(o.momentum()));
  d.set("affine", o.affine());
  d.set("track_running_stats", o.track_running_stats());
}

// ---- the pools: torch.nn.modules.pooling
std::shared_ptr<nn::Module> build_max_pool2d(const PickledModule& m) {
  if (m.boolean("return_indices")) m.fail("return_indices=True: ember's MaxPool2d returns no indices");
  // stride=None in the constructor is stored as kernel_size, so it is never None here.
  auto options = nn::MaxPool2dOptions(m.pair("kernel_size"))
                     .stride(m.pair("stride"))
                     .padding(m.pair("padding"))
                     .dilation(m.pair("dilation"))
                     .ceil_mode(m.boolean("ceil_mode"));
  return std::make_shared<nn::MaxPool2d>(options);
}
void write_max_pool2d(const nn::Module& module, Value& d) {
  const nn::MaxPool2dOptions& o = as<nn::MaxPool2d>(module).options;
  d.set("kernel_size", pair_value(o.kernel_size(), false));
  d.set("stride", pair_value(o.stride(), false));
  d.set("padding", pair_value(o.padding(), false));
  d.set("dilation", pair_value(o.dilation(), false));
  d.set("return_indices", false);
  d.set("ceil_mode", o.ceil_mode());
}

std::shared_ptr<nn::Module> build_avg_pool2d(const PickledModule& m) {
  nn::AvgPool2dOptions options(m.pair("kernel_size"));
  options.stride(m.pair("stride"))
      .padding(m.pair("padding"))
      .ceil_mode(m.boolean("ceil_mode"))
      .count_include_pad(m.boolean("count_include_pad"));
  if (!m.is_none("divisor_override")) options.divisor_override(m.integer("divisor_override"));
  return std::make_shared<nn::AvgPool2d>(options);
}
void write_avg_pool2d(const nn::Module& module, Value& d) {
  const nn::AvgPool2dOptions& o = as<nn::AvgPool2d>(module).options;
  d.set("kernel_size", pair_value(o.kernel_size(), false));
  d.set("stride", pair_value(o.stride(), false));
  d.set("padding", pair_value(o.padding(), false));
  d.set("ceil_mode", o.ceil_mode());
  d.set("count_include_pad", o.count_include_pad());
  d.set("divisor_override", o.divisor_override() ? Value(*o.divisor_override()) : Value());
}

std::shared_ptr<nn::Module> build_adaptive_avg_pool2d(const PickledModule& m) {
  return std::make_shared<nn::AdaptiveAvgPool2d>(nn::AdaptiveAvgPool2dOptions(m.pair("output_size")));
}
void write_adaptive_avg_pool2d(const nn::Module& module, Value& d) {
  d.set("output_size", pair_value(as<nn::AdaptiveAvgPool2d>(module).options.output_size(), false));
}

// ---- the normalisations: torch.nn.modules.normalization
std::shared_ptr<nn::Module> build_layer_norm(const PickledModule& m) {
  const Value& shape = m.attribute_value("normalized_shape");
  if (!shape.is_sequence()) m.fail("attribute 'normalized_shape': expected a tuple of ints");
  Shape normalized;
  for (const Value& d : shape.items()) {
    if (!d.is_int() || d.is_bool()) m.fail("attribute 'normalized_shape': expected a tuple of ints");
    normalized.push_back(d.as_int());
  }
  return std::make_shared<nn::LayerNorm>(nn::LayerNormOptions(normalized)
                                             .eps(m.real("eps"))
                                             .elementwise_affine(m.boolean("elementwise_affine")));
}
void write_layer_norm(const nn::Module& module, Value& d) {
  const nn::LayerNormOptions& o = as<nn::LayerNorm>(module).options;
  Value shape = Value::tuple();
  for (std::int64_t n : o.normalized_shape()) shape.append(n);
  d.set("normalized_shape", shape);
  d.set("eps", o.eps());
  d.set("elementwise_affine", o.elementwise_affine());
}

std::shared_ptr<nn::Module> build_group_norm(const PickledModule& m) {
  return std::make_shared<nn::GroupNorm>(
      nn::GroupNormOptions(m.integer("num_groups"), m.integer("num_channels")).eps(m.real("eps")).affine(m.boolean("affine")));
}
void write_group_norm(const nn::Module& module, Value& d) {
  const nn::GroupNormOptions& o = as<nn::GroupNorm>(module).options;
  d.set("num_groups", o.num_groups());
  d.set("num_channels", o.num_channels());
  d.set("eps", o.eps());
  d.set("affine", o.affine());
}

// ---- Embedding: torch.nn.modules.sparse; its constructor refuses max_norm and the rest.
std::shared_ptr<nn::Module> build_embedding(const PickledModule& m) {
  nn::EmbeddingOptions options(m.integer("num_embeddings"), m.integer("embedding_dim"));
  if (!m.is_none("padding_idx")) options.padding_idx(m.integer("padding_idx"));
  if (!m.is_none("max_norm")) options.max_norm(m.real("max_norm"));
  options.norm_type(m.real("norm_type"))
      .scale_grad_by_freq(m.boolean("scale_grad_by_freq"))
      .sparse(m.boolean("sparse"));
  return std::make_shared<nn::Embedding>(options);
}
void write_embedding(const nn::Module& module, Value& d) {
  const nn::EmbeddingOptions& o = as<nn::Embedding>(module).options;
  d.set("num_embeddings", o.num_embeddings());
  d.set("embedding_dim", o.embedding_dim());
  d.set("padding_idx", o.padding_idx() ? Value(*o.padding_idx()) : Value());
  d.set("max_norm", Value());
  d.set("norm_type", o.norm_type());
  d.set("scale_grad_by_freq", false);
  d.set("sparse", false);
}

// ---- Flatten, Dropout and the activations
std::shared_ptr<nn::Module> build_flatten(const PickledModule& m) {
  return std::make_shared<nn::Flatten>(
      nn::FlattenOptions().start_dim(m.integer("start_dim")).end_dim(m.integer("end_dim")));
}
void write_flatten(const nn::Module& module, Value& d) {
  const nn::FlattenOptions& o = as<nn::Flatten>(module).options;
  d.set("start_dim", o.start_dim());
  d.set("end_dim", o.end_dim());
}

// inplace=True computes the same values; ember always writes a new tensor.
std::shared_ptr<nn::Module> build_dropout(const PickledModule& m) {
  m.boolean("inplace");
  return std::make_shared<nn::Dropout>(nn::DropoutOptions(m.real("p")));
}
void write_dropout(const nn::Module& module, Value& d) {
  d.set("p", as<nn::Dropout>(module).options.p());
  d.set("inplace", false);
}

std::shared_ptr<nn::Module> build_dropout2d(const PickledModule& m) {
  m.boolean("inplace");
  return std::make_shared<nn::Dropout2d>(nn::Dropout2dOptions(m.real("p")));
}
void write_dropout2d(const nn::Module& module, Value& d) {
  d.set("p", as<nn::Dropout2d>(module).options.p());
  d.set("inplace", false);
}

std::shared_ptr<nn::Module> build_identity(const PickledModule&) { return std::make_shared<nn::Identity>(); }

std::shared_ptr<nn::Module> build_leaky_relu(const PickledModule& m) {
  m.boolean("inplace");
  return std::make_shared<nn::LeakyReLU>(nn::LeakyReLUOptions().negative_slope(m.real("negative_slope")));
}
void write_leaky_relu(const nn::Module& module, Value& d) {
  d.set("negative_slope", as<nn::LeakyReLU>(module).options.negative_slope());
  d.set("inplace", false);
}

std::shared_ptr<nn::Module> build_gelu(const PickledModule& m) {
  // PyTorch before 1.12 had no approximate attribute: the exact GELU.
  const std::string approximate = m.has_attribute("approximate") ? m.string("approximate") : "none";
  return std::make_shared<nn::GELU>(nn::GELUOptions().approximate(approximate));
}
void write_gelu(const nn::Module& module, Value& d) {
  d.set("approximate", as<nn::GELU>(module).options.approximate());
}

std::shared_ptr<nn::Module> build_silu(const PickledModule& m) {
  m.boolean("inplace");
  return std::make_shared<nn::SiLU>();
}

std::shared_ptr<nn::Module> build_relu(const PickledModule& m) {
  m.boolean("inplace");
  return std::make_shared<nn::ReLU>();
}
// ReLU and SiLU: inplace is their one attribute, and ember never computes in place.
void write_inplace(const nn::Module&, Value& d) { d.set("inplace", false); }

std::shared_ptr<nn::Module> build_tanh(const PickledModule&) { return std::make_shared<nn::Tanh>(); }
std::shared_ptr<nn::Module> build_sigmoid(const PickledModule&) {
  return std::make_shared<nn::Sigmoid>();
}

// Softmax(dim=None) picks a dim from the input's rank, with a deprecation warning; ember
// asks for the dim.
template <class M>
std::shared_ptr<nn::Module> build_softmax(const PickledModule& m) {
  if (m.is_none("dim")) m.fail("dim=None: ember needs the dim; give it to the layer in Python and save again");
  return std::make_shared<M>(nn::SoftmaxOptions(m.integer("dim")));
}
template <class M>
void write_softmax(const nn::Module& module, Value& d) {
  d.set("dim", as<M>(module).options.dim());
}

const std::vector<TorchModuleClass>& table() {
  static const std::vector<TorchModuleClass> rows = {
      {"torch.nn.modules.container.Sequential", is<nn::Sequential>, build_sequential, write_nothing, {}, {}},
      {"torch.nn.modules.container.ModuleList", is<nn::ModuleList>, build_module_list, write_nothing, {}, {}},
      {"torch.nn.modules.conv.Conv2d", is<nn::Conv2d>, build_conv2d, write_conv2d, {"weight", "bias"}, {}},
      {"torch.nn.modules.linear.Linear", is<nn::Linear>, build_linear, write_linear, {"weight", "bias"}, {}},
      {"torch.nn.modules.batchnorm.BatchNorm2d", is<nn::BatchNorm2d>, build_batch_norm2d,
       write_batch_norm2d, {"weight", "bias"}, {"running_mean", "running_var", "num_batches_tracked"}},
      {"torch.nn.modules.pooling.MaxPool2d", is<nn::MaxPool2d>, build_max_pool2d, write_max_pool2d, {}, {}},
      {"torch.nn.modules.pooling.AvgPool2d", is<nn::AvgPool2d>, build_avg_pool2d, write_avg_pool2d, {}, {}},
      {"torch.nn.modules.pooling.AdaptiveAvgPool2d", is<nn::AdaptiveAvgPool2d>,
       build_adaptive_avg_pool2d, write_adaptive_avg_pool2d, {}, {}},
      {"torch.nn.modules.flatten.Flatten", is<nn::Flatten>, build_flatten, write_flatten, {}, {}},
      {"torch.nn.modules.dropout.Dropout", is<nn::Dropout>, build_dropout, write_dropout, {}, {}},
      {"torch.nn.modules.dropout.Dropout2d", is<nn::Dropout2d>, build_dropout2d, write_dropout2d, {}, {}},
      {"torch.nn.modules.normalization.LayerNorm", is<nn::LayerNorm>, build_layer_norm, write_layer_norm,
       {"weight", "bias"}, {}},
      {"torch.nn.modules.normalization.GroupNorm", is<nn::GroupNorm>, build_group_norm, write_group_norm,
       {"weight", "bias"}, {}},
      {"torch.nn.modules.sparse.Embedding", is<nn::Embedding>, build_embedding, write_embedding, {"weight"}, {}},
      {"torch.nn.modules.linear.Identity", is<nn::Identity>, build_identity, write_nothing, {}, {}},
      {"torch.nn.modules.activation.ReLU", is<nn::ReLU>, build_relu, write_inplace, {}, {}},
      {"torch.nn.modules.activation.LeakyReLU", is<nn::LeakyReLU>, build_leaky_relu, write_leaky_relu, {}, {}},
      {"torch.nn.modules.activation.GELU", is<nn::GELU>, build_gelu, write_gelu, {}, {}},
      {"torch.nn.modules.activation.SiLU", is<nn::SiLU>, build_silu, write_inplace, {}, {}},
      {"torch.nn.modules.activation.Tanh", is<nn::Tanh>, build_tanh, write_nothing, {}, {}},
      {"torch.nn.modules.activation.Sigmoid", is<nn::Sigmoid>, build_sigmoid, write_nothing, {}, {}},
      {"torch.nn.modules.activation.Softmax", is<nn::Softmax>, build_softmax<nn::Softmax>,
       write_softmax<nn::Softmax>, {}, {}},
      {"torch.nn.modules.activation.LogSoftmax", is<nn::LogSoftmax>, build_softmax<nn::LogSoftmax>,
       write_softmax<nn::LogSoftmax>, {}, {}},
  };
  return rows;
}

}  // namespace

const TorchModuleClass* find_torch_module_class(const std::string& python_name) {
  for (const auto& row : table())
    if (python_name == row.python_name) return &row;
  return nullptr;
}

const TorchModuleClass* find_torch_module_class(const nn::Module& module) {
  for (const auto& row : table())
    if (row.matches(module)) return &row;
  return nullptr;
}

std::string torch_module_class_names() {
  std::string names;
  for (const auto& row : table()) {
    const std::string full = row.python_name;
    names += (names.empty() ? "" : ", ") + full.substr(full.rfind('.') + 1);
  }
  return names;
}

}  // namespace ember::serialize
