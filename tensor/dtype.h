// Element types a Tensor can hold, with PyTorch's names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ember {

// float32 is the default and the compute type; float64 serves gradient checks; int64 holds
// labels and counters. The others are storable and convertible with Tensor::to, because
// PyTorch files carry them.
enum class Dtype : std::uint8_t {
  float32,
  float64,
  int64,
  int32,
  int16,
  int8,
  uint8,
  boolean,  // PyTorch's torch.bool ("bool" is a C++ keyword)
  float16,
  bfloat16,
};

inline constexpr Dtype kFloat32 = Dtype::float32;
inline constexpr Dtype kFloat64 = Dtype::float64;
inline constexpr Dtype kInt64 = Dtype::int64;
inline constexpr Dtype kInt32 = Dtype::int32;
inline constexpr Dtype kInt16 = Dtype::int16;
inline constexpr Dtype kInt8 = Dtype::int8;
inline constexpr Dtype kUInt8 = Dtype::uint8;
inline constexpr Dtype kBool = Dtype::boolean;
inline constexpr Dtype kFloat16 = Dtype::float16;
inline constexpr Dtype kBFloat16 = Dtype::bfloat16;

std::size_t element_size(Dtype dtype);
// PyTorch's name without "torch.": "float32", "int64", "bool", "bfloat16".
const char* dtype_name(Dtype dtype);
// Inverse of dtype_name; throws Error for an unknown name.
Dtype dtype_from_name(const std::string& name);
bool is_floating_point(Dtype dtype);
// The dtype PyTorch's type promotion gives a binary op on a and b (float beats int, wider
// beats narrower; bool is the narrowest).
Dtype promote_types(Dtype a, Dtype b);

// Half-precision conversions (IEEE binary16 and bfloat16), round to nearest even.
float half_to_float(std::uint16_t bits);
std::uint16_t float_to_half(float value);
float bfloat16_to_float(std::uint16_t bits);
std::uint16_t float_to_bfloat16(float value);

// The C++ type stored for each dtype (float16 and bfloat16 as their raw 16 bits).
template <class T>
struct DtypeOf;
template <> struct DtypeOf<float> { static constexpr Dtype value = Dtype::float32; };
template <> struct DtypeOf<double> { static constexpr Dtype value = Dtype::float64; };
template <> struct DtypeOf<std::int64_t> { static constexpr Dtype value = Dtype::int64; };
template <> struct DtypeOf<std::int32_t> { static constexpr Dtype value = Dtype::int32; };
template <> struct DtypeOf<std::int16_t> { static constexpr Dtype value = Dtype::int16; };
template <> struct DtypeOf<std::int8_t> { static constexpr Dtype value = Dtype::int8; };
template <> struct DtypeOf<std::uint8_t> { static constexpr Dtype value = Dtype::uint8; };
template <> struct DtypeOf<bool> { static constexpr Dtype value = Dtype::boolean; };

}  // namespace ember
