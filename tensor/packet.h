// SIMD packets: Eigen's vector register for a scalar type (8 floats or 4 doubles with AVX, 4 or
// 2 with SSE), for the kernels written with Eigen's packet primitives (ploadu, pmadd, pand, ...).
// Eigen picks the instruction set from the compiler flags.
#pragma once

#include <Eigen/Core>
#include <cstdint>

namespace ember::detail {

template <class T>
using Packet = typename Eigen::internal::packet_traits<T>::type;

// The number of values of T in one packet.
template <class T>
constexpr std::int64_t kLanes = Eigen::internal::unpacket_traits<Packet<T>>::size;

}  // namespace ember::detail
