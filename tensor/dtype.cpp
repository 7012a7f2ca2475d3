// Dtype facts: sizes, names, promotion, and half-precision conversions.
#include "ember/tensor/dtype.h"

#include <cstring>

#include "ember/tensor/error.h"

namespace ember {

std::size_t element_size(Dtype dtype) {
  switch (dtype) {
    case Dtype::float64:
    case Dtype::int64: return 8;
    case Dtype::float32:
    case Dtype::int32: return 4;
    case Dtype::int16:
    case Dtype::float16:
    case Dtype::bfloat16: return 2;
    case Dtype::int8:
    case Dtype::uint8:
    case Dtype::boolean: return 1;
  }
  return 0;
}

const char* dtype_name(Dtype dtype) {
  switch (dtype) {
    case Dtype::float32: return "float32";
    case Dtype::float64: return "float64";
    case Dtype::int64: return "int64";
    case Dtype::int32: return "int32";
    case Dtype::int16: return "int16";
    case Dtype::int8: return "int8";
    case Dtype::uint8: return "uint8";
    case Dtype::boolean: return "bool";
    case Dtype::float16: return "float16";
    case Dtype::bfloat16: return "bfloat16";
  }
  return "?";
}

Dtype dtype_from_name(const std::string& name) {
  for (Dtype d : {kFloat32, kFloat64, kInt64, kInt32, kInt16, kInt8, kUInt8, kBool, kFloat16,
                  kBFloat16}) {
    if (name == dtype_name(d)) return d;
  }
  throw Error(str("dtype: unknown dtype name '", name, "'"));
}

bool is_floating_point(Dtype dtype) {
  return dtype == kFloat32 || dtype == kFloat64 || dtype == kFloat16 || dtype == kBFloat16;
}

namespace {
// Rank in PyTorch's promotion lattice for the types ember computes with.
int rank(Dtype d) {
  switch (d) {
    case Dtype::boolean: return 0;
    case Dtype::uint8: return 1;
    case Dtype::int8: return 1;
    case Dtype::int16: return 2;
    case Dtype::int32: return 3;
    case Dtype::int64: return 4;
    case Dtype::float16: return 5;
    case Dtype::bfloat16: return 5;
    case Dtype::float32: return 6;
    case Dtype::float64: return 7;
  }
  return 0;
}
}  // namespace

Dtype promote_types(Dtype a, Dtype b) {
  if (a == b) return a;
  // float16 with bfloat16 promotes to float32, uint8 with int8 to int16, as in PyTorch.
  if ((a == kFloat16 && b == kBFloat16) || (a == kBFloat16 && b == kFloat16)) return kFloat32;
  if ((a == kUInt8 && b == kInt8) || (a == kInt8 && b == kUInt8)) return kInt16;
  return rank(a) >= rank(b) ? a : b;
}

// IEEE 754 binary16: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
float half_to_float(std::uint16_t h) {
  std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000) << 16;
  std::uint32_t exponent = (h >> 10) & 0x1f;
  std::uint32_t mantissa = h & 0x3ff;
  std::uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000 | (mantissa << 13);  // inf or nan
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;  // signed zero
  } else {
    // Subnormal half: normalise into a float32 exponent.
    int shift = 0;
    while ((mantissa & 0x400) == 0) {
      mantissa <<= 1;
      ++shift;
    }
    mantissa &= 0x3ff;
    bits = sign | (static_cast<std::uint32_t>(113 - shift) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

std::uint16_t float_to_half(float value) {
  std::uint32_t x;
  std::memcpy(&x, &value, 4);
  std::uint32_t sign = (x >> 16) & 0x8000;
  std::uint32_t abs = x & 0x7fffffff;
  if (abs >= 0x7f800000) {  // inf or nan (keep nan quiet)
    return static_cast<std::uint16_t>(sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0));
  }
  if (abs >= 0x477ff000) return static_cast<std::uint16_t>(sign | 0x7c00);  // overflow to inf
  if (abs < 0x38800000) {
    // Result is subnormal or zero: shift the implicit-1 mantissa, round to nearest even.
    if (abs < 0x33000000) return static_cast<std::uint16_t>(sign);
    std::uint32_t exponent = abs >> 23;
    std::uint32_t mantissa = (abs & 0x7fffff) | 0x800000;
    std::uint32_t shift = 126 - exponent;  // 14 + (112 - exponent) + ... lands in 10 bits
    std::uint32_t half = mantissa >> shift;
    std::uint32_t rest = mantissa & ((1u << shift) - 1);
    std::uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1))) ++half;
    return static_cast<std::uint16_t>(sign | half);
  }
  // Normal: rebias the exponent, round the 13 dropped mantissa bits to nearest even.
  std::uint32_t rounded = abs + 0xfff + ((abs >> 13) & 1);
  return static_cast<std::uint16_t>(sign | ((rounded - 0x38000000) >> 13));
}

float bfloat16_to_float(std::uint16_t bits) {
  std::uint32_t x = static_cast<std::uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

std::uint16_t float_to_bfloat16(float value) {
  std::uint32_t x;
  std::memcpy(&x, &value, 4);
  if ((x & 0x7fffffff) > 0x7f800000) return static_cast<std::uint16_t>((x >> 16) | 0x40);  // nan
  x += 0x7fff + ((x >> 16) & 1);  // round to nearest even
  return static_cast<std::uint16_t>(x >> 16);
}

}  // namespace ember
