// std::cout << tensor, printing exactly what Python's repr(torch_tensor) prints. A port of
// torch/_tensor_str.py with its default options (precision 4, summarise above 1000 elements
// showing 3 edge items, lines of 80 characters). And a shape as Python prints a torch.Size.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "ember/tensor/autograd.h"
#include "ember/tensor/tensor.h"

namespace ember {
namespace {

constexpr int kPrecision = 4;
constexpr std::int64_t kThreshold = 1000;
constexpr std::int64_t kEdgeItems = 3;
constexpr std::int64_t kLineWidth = 80;

// Python's "{:.Nf}" / "{:.Ne}" of a float (nan and inf spelled as Python spells them).
std::string py_format(double v, char conversion, int precision) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buffer[512];
  const char format[] = {'%', '.', '*', conversion, '\0'};
  std::snprintf(buffer, sizeof buffer, format, precision, v);
  return buffer;
}

// The elements of a tensor in row-major order: as double for floating dtypes, as int64 for
// integers and bool.
struct Elements {
  Dtype dtype;
  Shape shape;
  std::vector<double> floats;
  std::vector<std::int64_t> ints;

  bool floating() const { return is_floating_point(dtype); }
  std::string str(std::int64_t i) const;  // Python's "{}".format(value) for an integer or bool
};

std::string Elements::str(std::int64_t i) const {
  const std::int64_t v = ints[static_cast<std::size_t>(i)];
  if (dtype == kBool) return v ? "True" : "False";
  return std::to_string(v);
}

// Which indices of a dim of this size are shown: all of them, or the first and last
// kEdgeItems with a gap (-1) between.
std::vector<std::int64_t> shown(std::int64_t size, bool summarize) {
  std::vector<std::int64_t> out;
  if (summarize && size > 2 * kEdgeItems) {
    for (std::int64_t i = 0; i < kEdgeItems; ++i) out.push_back(i);
    out.push_back(-1);
    for (std::int64_t i = size - kEdgeItems; i < size; ++i) out.push_back(i);
  } else {
    for (std::int64_t i = 0; i < size; ++i) out.push_back(i);
  }
  return out;
}

// Flat indices of the elements that will be printed (get_summarized_data in PyTorch).
void collect_shown(const Shape& shape, std::size_t dim, std::int64_t base, bool summarize,
                   std::vector<std::int64_t>& out) {
  if (dim == shape.size()) {
    out.push_back(base);
    return;
  }
  std::int64_t stride = 1;
  for (std::size_t d = dim + 1; d < shape.size(); ++d) stride *= shape[d];
  for (std::int64_t i : shown(shape[dim], summarize)) {
    if (i >= 0) collect_shown(shape, dim + 1, base + i * stride, summarize, out);
  }
}

// PyTorch's _Formatter: one width and one style (integer-valued, fixed or scientific) for
// all elements, chosen from the nonzero finite values that will be shown.
class Formatter {
 public:
  Formatter(const Elements& e, const std::vector<std::int64_t>& indices) : e_(e) {
    if (!e.floating()) {
      for (std::int64_t i : indices) width_ = std::max<std::size_t>(width_, e.str(i).size());
      return;
    }
    std::vector<double> values;
    for (std::int64_t i : indices) {
      const double v = e.floats[static_cast<std::size_t>(i)];
      if (std::isfinite(v) && v != 0) values.push_back(v);
    }
    if (values.empty()) return;
    double lo = std::abs(values[0]), hi = lo;
    for (double v : values) {
      lo = std::min(lo, std::abs(v));
      hi = std::max(hi, std::abs(v));
      if (v != std::ceil(v)) int_mode_ = false;
    }
    if (int_mode_) {
      sci_mode_ = hi / lo > 1000.0 || hi > 1.0e8;
    } else {
      sci_mode_ = hi / lo > 1000.0 || hi > 1.0e8 || lo < 1.0e-4;
    }
    for (double v : values) {
      std::size_t w;
      if (sci_mode_) w = py_format(v, 'e', kPrecision).size();
      else if (int_mode_) w = py_format(v, 'f', 0).size() + 1;  // room for the "."
      else w = py_format(v, 'f', kPrecision).size();
      width_ = std::max(width_, w);
    }
  }

  std::size_t width() const { return width_; }

  // Element i, right-aligned to the common width.
  std::string format(std::int64_t i) const {
    std::string s;
    if (!e_.floating()) {
      s = e_.str(i);
    } else {
      const double v = e_.floats[static_cast<std::size_t>(i)];
      if (sci_mode_) {
        s = py_format(v, 'e', kPrecision);
      } else if (int_mode_) {
        s = py_format(v, 'f', 0);
        if (std::isfinite(v)) s += ".";  // says "floating point" for whole numbers: 1.
      } else {
        s = py_format(v, 'f', kPrecision);
      }
    }
    return s.size() < width_ ? std::string(width_ - s.size(), ' ') + s : s;
  }

 private:
  const Elements& e_;
  bool int_mode_ = true;
  bool sci_mode_ = false;
  std::size_t width_ = 1;
};

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? separator : "") + parts[i];
  return out;
}

// The last dim: elements packed into lines of at most kLineWidth characters (_vector_str).
std::string vector_str(const Elements& e, const Formatter& f, std::int64_t base,
                       std::int64_t indent, bool summarize) {
  const auto element_length = static_cast<std::int64_t>(f.width()) + 2;
  const std::int64_t per_line = std::max<std::int64_t>(1, (kLineWidth - indent) / element_length);
  std::vector<std::string> data;
  for (std::int64_t i : shown(e.shape.back(), summarize)) {
    data.push_back(i < 0 ? " ..." : f.format(base + i));
  }
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < data.size(); i += static_cast<std::size_t>(per_line)) {
    const auto end = std::min(data.size(), i + static_cast<std::size_t>(per_line));
    lines.push_back(join({data.begin() + static_cast<std::ptrdiff_t>(i),
                          data.begin() + static_cast<std::ptrdiff_t>(end)}, ", "));
  }
  return "[" + join(lines, ",\n" + std::string(static_cast<std::size_t>(indent) + 1, ' ')) + "]";
}

// The sub-tensor starting at dim (_tensor_str_with_formatter): rows separated by one blank
// line per dim below them.
std::string tensor_str(const Elements& e, const Formatter& f, std::size_t dim, std::int64_t base,
                       std::int64_t indent, bool summarize) {
  if (e.shape.empty()) return f.format(0);
  if (dim + 1 == e.shape.size()) return vector_str(e, f, base, indent, summarize);
  std::int64_t stride = 1;
  for (std::size_t d = dim + 1; d < e.shape.size(); ++d) stride *= e.shape[d];
  std::vector<std::string> slices;
  for (std::int64_t i : shown(e.shape[dim], summarize)) {
    slices.push_back(i < 0 ? "..." : tensor_str(e, f, dim + 1, base + i * stride, indent + 1,
                                               summarize));
  }
  const std::size_t dims_below = e.shape.size() - dim - 1;
  const std::string separator =
      "," + std::string(dims_below, '\n') + std::string(static_cast<std::size_t>(indent) + 1, ' ');
  return "[" + join(slices, separator) + "]";
}

// Appends ", suffix" pieces and the closing parenthesis, wrapping to a new line where a
// suffix would pass the line width (_add_suffixes).
std::string add_suffixes(const std::string& body, const std::vector<std::string>& suffixes,
                         std::int64_t indent) {
  std::string out = body;
  const std::size_t newline = body.rfind('\n');
  auto last_line = static_cast<std::int64_t>(
      newline == std::string::npos ? body.size() + 2 : body.size() - newline + 1);
  for (const std::string& suffix : suffixes) {
    const auto length = static_cast<std::int64_t>(suffix.size());
    if (last_line + length + 2 > kLineWidth) {
      out += ",\n" + std::string(static_cast<std::size_t>(indent), ' ') + suffix;
      last_line = indent + length;
    } else {
      out += ", " + suffix;
      last_line += length + 2;
    }
  }
  return out + ")";
}

}  // namespace

std::ostream& operator<<(std::ostream& out, const Tensor& tensor) {
  if (!tensor.defined()) return out << "tensor(undefined)";
  const std::string prefix = "tensor(";
  const auto indent = static_cast<std::int64_t>(prefix.size());
  const Tensor t = tensor.detach();

  Elements e{t.dtype(), t.shape(), {}, {}};
  if (e.floating()) e.floats = t.to_vector<double>();
  else e.ints = t.to_vector<std::int64_t>();

  std::vector<std::string> suffixes;
  std::string body;
  const std::string dtype_suffix = std::string("dtype=torch.") + dtype_name(t.dtype());
  if (t.numel() == 0) {
    // No elements to tell int from float, so any dtype but the default is shown.
    if (t.dim() != 1) suffixes.push_back("size=" + shape_str(t.shape()));  // (0, 3)
    if (t.dtype() != kFloat32) suffixes.push_back(dtype_suffix);
    body = "[]";
  } else {
    const bool default_dtype = t.dtype() == kFloat32 || t.dtype() == kInt64 || t.dtype() == kBool;
    if (!default_dtype) suffixes.push_back(dtype_suffix);
    const bool summarize = t.numel() > kThreshold;
    std::vector<std::int64_t> indices;
    collect_shown(e.shape, 0, 0, summarize, indices);
    const Formatter formatter(e, indices);
    body = tensor_str(e, formatter, 0, 0, indent, summarize);
  }
  if (tensor.grad_fn()) suffixes.push_back("grad_fn=<" + tensor.grad_fn()->name + ">");
  else if (tensor.requires_grad()) suffixes.push_back("requires_grad=True");
  return out << add_suffixes(prefix + body, suffixes, indent);
}

std::string size_repr(const Shape& shape) {
  std::string out = "torch.Size([";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "])";
}

}  // namespace ember
