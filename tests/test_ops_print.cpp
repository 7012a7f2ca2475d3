// Printing: std::cout << t must print what Python's repr prints for the same torch tensor; and
// shapes and Pairs in messages, as Python writes tuples.
// The small cases' expected strings were printed by PyTorch 1.13; the summarised ones come
// from tests/fixtures/print_golden.json, written by scripts/make_op_goldens.py.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ember/nn/conv_utils.h"
#include "ember/tensor/autograd.h"
#include "ember/tensor/factories.h"
#include "ember/tensor/ops.h"

using namespace ember;

namespace {

std::string repr(const Tensor& t) {
  std::ostringstream out;
  out << t;
  return out.str();
}

const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

}  // namespace

TEST_CASE("print: float32 styles (whole numbers, fixed, scientific)") {
  CHECK(repr(tensor({1, 2, 3, 4}, {2, 2})) == "tensor([[1., 2.],\n        [3., 4.]])");
  CHECK(repr(tensor({1.5, -2.25, 3.0})) == "tensor([ 1.5000, -2.2500,  3.0000])");
  CHECK(repr(tensor({1e-5, 1.0})) == "tensor([1.0000e-05, 1.0000e+00])");
  CHECK(repr(tensor({1e9, 2.0})) == "tensor([1.0000e+09, 2.0000e+00])");
  CHECK(repr(tensor({0.1, 123.456, -7.0})) == "tensor([ 1.0000e-01,  1.2346e+02, -7.0000e+00])");
  CHECK(repr(zeros({3})) == "tensor([0., 0., 0.])");
  CHECK(repr(tensor({0.001, 0.0002})) == "tensor([0.0010, 0.0002])");
  CHECK(repr(tensor({-0.0, 1.0})) == "tensor([-0., 1.])");
}

TEST_CASE("print: nan and inf") {
  CHECK(repr(tensor({kNan, kInf, -kInf, 1.5})) == "tensor([   nan,    inf,   -inf, 1.5000])");
  CHECK(repr(tensor({kNan, 2.0})) == "tensor([nan, 2.])");
}

TEST_CASE("print: integers and bool") {
  CHECK(repr(tensor_int64({1, 2, 3})) == "tensor([1, 2, 3])");
  CHECK(repr(tensor_int64({-10, 5, 300, 0}, {2, 2})) == "tensor([[-10,   5],\n        [300,   0]])");
  CHECK(repr(tensor({1, 0, 1}).to(kBool)) == "tensor([ True, False,  True])");
}

TEST_CASE("print: dtype suffix for all but float32, int64 and bool") {
  CHECK(repr(tensor({1.0, 2.5}, {}, kFloat64)) == "tensor([1.0000, 2.5000], dtype=torch.float64)");
  CHECK(repr(tensor({1, 2}, {}, kInt32)) == "tensor([1, 2], dtype=torch.int32)");
  CHECK(repr(tensor({7, 255}, {}, kUInt8)) == "tensor([  7, 255], dtype=torch.uint8)");
  CHECK(repr(tensor({0.5, 1.0}, {}, kFloat16)) == "tensor([0.5000, 1.0000], dtype=torch.float16)");
}

TEST_CASE("print: zero-dimensional and empty tensors") {
  CHECK(repr(scalar_tensor(3.5)) == "tensor(3.5000)");
  CHECK(repr(scalar_tensor(7, kInt64)) == "tensor(7)");
  CHECK(repr(tensor(std::vector<double>{})) == "tensor([])");
  CHECK(repr(zeros({0, 3})) == "tensor([], size=(0, 3))");
  CHECK(repr(zeros({0}, kInt64)) == "tensor([], dtype=torch.int64)");
}

TEST_CASE("print: line wrapping, nesting and views") {
  CHECK(repr(arange(30).to(kFloat32)) ==
        "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
        "        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n"
        "        28., 29.])");
  CHECK(repr(arange(12).to(kFloat32).view({2, 2, 3})) ==
        "tensor([[[ 0.,  1.,  2.],\n"
        "         [ 3.,  4.,  5.]],\n"
        "\n"
        "        [[ 6.,  7.,  8.],\n"
        "         [ 9., 10., 11.]]])");
  CHECK(repr(arange(6).to(kFloat32).view({2, 3}).t()) ==
        "tensor([[0., 3.],\n        [1., 4.],\n        [2., 5.]])");
  CHECK(repr(arange(2000)) == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])");
}

TEST_CASE("print: autograd suffixes") {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  CHECK(repr(x) == "tensor([1., 2.], requires_grad=True)");
  CHECK(repr(tensor({1.0, 2.0}, {}, kFloat64).requires_grad_()) ==
        "tensor([1., 2.], dtype=torch.float64, requires_grad=True)");
  CHECK(repr((x * 2.0).sum()) == "tensor(6., grad_fn=<SumBackward0>)");
  // Suffixes that would pass 80 columns go on their own line, under the opening bracket.
  Tensor y = arange(14.0, kFloat64).requires_grad_() * 1.5;
  CHECK(repr(y) ==
        "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n"
        "        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000],\n"
        "       dtype=torch.float64, grad_fn=<MulBackward0>)");
}

TEST_CASE("print: summarised tensors match PyTorch (fixture)") {
  std::ifstream file(std::string(EMBER_SOURCE_DIR) + "/tests/fixtures/print_golden.json");
  REQUIRE(file.good());
  const nlohmann::json cases = nlohmann::json::parse(file);
  REQUIRE(cases.size() >= 4);
  for (const auto& c : cases) {
    CAPTURE(c["name"].get<std::string>());
    const Shape shape = c["shape"].get<Shape>();
    const Dtype dtype = dtype_from_name(c["dtype"].get<std::string>());
    Tensor t = tensor(c["data"].get<std::vector<double>>(), shape, dtype);
    if (c["transpose"].get<bool>()) t = t.transpose(0, 1);
    CHECK(repr(t) == c["repr"].get<std::string>());
  }
}

TEST_CASE("print: shapes and Pairs in messages are Python tuples, formatted by check on failure") {
  CHECK(shape_str({2, 3}) == "(2, 3)");
  CHECK(shape_str({3}) == "(3,)");
  CHECK(shape_str({}) == "()");
  CHECK(str("found ", Shape{0, 3}, " and ", nn::Pair(2, 3)) == "found (0, 3) and (2, 3)");
  CHECK(nn::Pair(2).tuple_str() == "(2, 2)");
  CHECK(nn::Pair(2).str() == "2");  // Python's str of the argument as given
  CHECK_THROWS_WITH_AS(check(false, "op: expected ", Shape{4}, ", found ", Shape{}),
                       "op: expected (4,), found ()", ember::Error);
}
