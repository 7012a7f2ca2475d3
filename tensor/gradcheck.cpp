// The finite-difference gradient check, torch.autograd.gradcheck (see gradcheck.h).
#include "ember/tensor/gradcheck.h"

#include <cmath>
#include <sstream>

#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/generator.h"

namespace ember {
namespace {

constexpr std::int64_t kUnitRowsLimit = 256;  // above this many outputs, random projections
constexpr int kProjections = 16;

// v^T J for every checked input, as one flat vector per input (zeros where autograd gave no
// gradient: that input does not influence the output).
std::vector<std::vector<double>> backward_rows(const Tensor& out, const Tensor& v,
                                               const std::vector<Tensor>& x,
                                               const std::vector<bool>& wrt) {
  std::vector<std::vector<double>> rows(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (wrt[i]) x[i].set_grad(Tensor());
  }
  if (out.requires_grad()) out.backward(v, /*retain_graph=*/true);
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!wrt[i]) continue;
    const Tensor g = x[i].grad();
    if (!g.defined()) {
      rows[i].assign(static_cast<std::size_t>(x[i].numel()), 0.0);
      continue;
    }
    check(g.shape() == x[i].shape(), "gradcheck: gradient of input ", i, " has shape ",
          g.shape(), ", expected ", x[i].shape());
    check(g.dtype() == kFloat64, "gradcheck: gradient of input ", i, " has dtype ",
          dtype_name(g.dtype()), ", expected float64");
    rows[i] = g.to_vector<double>();
  }
  return rows;
}

}  // namespace

bool gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
               const GradcheckOptions& options) {
  const double eps = options.eps();
  const double atol = options.atol();
  const double rtol = options.rtol();
  // Private leaves, so that perturbing them leaves the caller's tensors alone.
  std::vector<Tensor> x;
  std::vector<bool> wrt;
  bool any = false;
  for (const Tensor& in : inputs) any = any || (in.defined() && in.requires_grad());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& in = inputs[i];
    const bool check_this = in.defined() && (any ? in.requires_grad() : is_floating_point(in.dtype()));
    if (check_this) {
      check(in.dtype() == kFloat64, "gradcheck: input ", i, " has dtype ", dtype_name(in.dtype()),
            ", expected float64 (finite differences need double precision)");
    }
    Tensor copy = in.defined() ? in.detach().clone() : Tensor();
    if (check_this) copy.requires_grad_(true);
    x.push_back(copy);
    wrt.push_back(check_this);
  }

  // Numerical Jacobian, numeric[i][k] = d out / d x_i[k] as a flat vector over the output.
  std::vector<std::vector<std::vector<double>>> numeric(x.size());
  std::int64_t out_numel = -1;
  {
    NoGradGuard no_grad;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!wrt[i]) continue;
      double* data = x[i].data_ptr<double>();
      for (std::int64_t k = 0; k < x[i].numel(); ++k) {
        const double original = data[k];
        data[k] = original + eps;
        const std::vector<double> plus = fn(x).to_vector<double>();
        data[k] = original - eps;
        const std::vector<double> minus = fn(x).to_vector<double>();
        data[k] = original;
        std::vector<double> column(plus.size());
        for (std::size_t j = 0; j < plus.size(); ++j) column[j] = (plus[j] - minus[j]) / (2 * eps);
        out_numel = static_cast<std::int64_t>(plus.size());
        numeric[i].push_back(std::move(column));
      }
    }
  }

  // Analytical rows, compared with the matching combination of numerical columns.
  const Tensor out = fn(x);
  check(is_floating_point(out.dtype()), "gradcheck: fn returned a ", dtype_name(out.dtype()),
        " tensor, expected a floating one");
  if (out_numel < 0) out_numel = out.numel();
  const bool unit_rows = out_numel <= kUnitRowsLimit;
  const std::int64_t row_count = unit_rows ? out_numel : kProjections;
  Generator generator(1234);

  double worst_ratio = 0.0;
  std::string worst;
  bool ok = true;
  for (std::int64_t r = 0; r < row_count; ++r) {
    // v is the output gradient: e_r, or a random direction.
    Tensor v = unit_rows ? zeros(out.shape(), out.dtype()) : randn(out.shape(), out.dtype(), &generator);
    if (unit_rows) v.data_ptr<double>()[r] = 1.0;
    const std::vector<double> vv = v.to_vector<double>();
    const auto rows = backward_rows(out, v, x, wrt);
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!wrt[i]) continue;
      for (std::size_t k = 0; k < rows[i].size(); ++k) {
        double n = 0.0;
        for (std::size_t j = 0; j < vv.size(); ++j) n += vv[j] * numeric[i][k][j];
        const double a = rows[i][k];
        const double allowed = atol + rtol * std::abs(n);
        const double ratio = std::abs(a - n) / allowed;
        if (!(std::abs(a - n) <= allowed)) ok = false;  // nan fails too
        if (!(ratio <= worst_ratio)) {
          worst_ratio = ratio;
          std::ostringstream s;
          s << "input " << i << " element " << k << ", " << (unit_rows ? "output " : "projection ")
            << r << ": analytical " << a << ", numerical " << n << ", allowed difference " << allowed;
          worst = s.str();
        }
      }
    }
  }
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (wrt[i]) x[i].set_grad(Tensor());
  }
  if (!ok && options.raise_exception()) throw Error("gradcheck: Jacobian mismatch at " + worst);
  return ok;
}

}  // namespace ember
