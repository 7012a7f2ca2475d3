// The GEMM of tensor/gemm.h, built in the layers of GotoBLAS, BLIS and OpenBLAS (K. Goto and
// R. van de Geijn, "Anatomy of high-performance matrix multiplication", ACM TOMS 34(3), 2008).
//
// A core multiplies at its peak only from registers. The micro-kernel keeps a tile of c, MR rows
// by NR columns, in vector registers and adds one outer product per step of k: 2 packets of b
// and MR broadcasts of a feed 2 MR fused multiply-adds. Everything else exists to feed it from
// the nearest cache:
//   - b is copied ("packed") KC rows by NC columns at a time into panels NR columns wide, each
//     stored in the order the kernel reads it. The panel in use (KC x NR) stays in L1.
//   - a is packed MC rows by KC at a time into panels MR rows tall; that block stays in L2.
//   - the kernel then walks every (MR, NR) tile of the (MC, NC) block of c.
// Packing lets the kernel read both operands contiguously whatever their strides. But it is a
// copy, which small products (LeNet's are 16 x 100 x 150) cannot amortise: there, operands
// laid out in short rows are read where they lie (see gemm_blocked).
#include "ember/tensor/gemm.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#include <Eigen/Core>
#include <algorithm>

#include "ember/tensor/packet.h"
#include "ember/tensor/scratch.h"
#include "ember/tensor/static_count.h"

namespace ember::detail {
namespace {

// This thread's packed blocks of the two operands.
struct PackedA;
struct PackedB;


namespace ei = Eigen::internal;

// The register tile: MR rows of c by NR = 2 packets of columns (6 x 16 floats with AVX2). Its 12
// accumulators, 2 packets of b and one broadcast of a take 15 of the 16 vector registers of
// AVX2 or SSE.
template <class T>
struct Tile {
  using Packet = detail::Packet<T>;
  static constexpr int P = kLanes<T>;
  static constexpr int MR = 6, NR = 2 * P;
};

// Block sizes: KC rows of b (a float panel of b, KC x NR, is 16 KB: half of L1), MC rows of a
// (the packed block of a is 144 KB in float: in L2), NC columns of b (4 MB: in L3). MC is a
// multiple of MR and NC of NR, so only the last panel of a product is ragged.
constexpr std::int64_t KC = 256, MC = 144, NC = 4096;

// An operand's rows must be shorter than this to be read in place (see gemm_blocked).
constexpr std::int64_t kInPlaceRowBytes = 2048;

// Below this many multiply-adds per thread, waking another thread costs more than it saves.
constexpr double kMinMacsPerThread = 1 << 17;

std::int64_t round_up(std::int64_t x, std::int64_t unit) { return (x + unit - 1) / unit * unit; }

// a (mc, kc) -> panels of MR rows, each stored column by column: panel p holds a(p MR + i, l) at
// out[p MR kc + l MR + i]. A ragged last panel leaves its missing rows unset: the kernel
// instance for it reads only the rows it has.
template <class T>
void pack_a(MatrixView<T> a, std::int64_t mc, std::int64_t kc, T* out) {
  constexpr int MR = Tile<T>::MR;
  for (std::int64_t p = 0; p < mc; p += MR, out += MR * kc) {
    const std::int64_t rows = std::min<std::int64_t>(MR, mc - p);
    if (a.col_stride == 1) {  // read each row of a contiguously
      for (std::int64_t i = 0; i < rows; ++i) {
        const T* row = a.data + (p + i) * a.row_stride;
        for (std::int64_t l = 0; l < kc; ++l) out[l * MR + i] = row[l];
      }
    } else {
      for (std::int64_t l = 0; l < kc; ++l)
        for (std::int64_t i = 0; i < rows; ++i) out[l * MR + i] = a(p + i, l);
    }
  }
}

// One panel of a transposed b (row_stride 1: each column contiguous, as in W^T or col^T):
// out (kc, NR) row by row from `cols` columns. Full panels go P x P at a time through an
// in-register transpose: P packet loads along the columns and P packet stores along the rows,
// instead of P^2 scalar copies to places NR apart.
#pragma GCC diagnostic push
// Eigen's packet types carry alignment attributes that a template argument (PacketBlock's)
// drops; alignment plays no part there, as in Eigen's own uses of PacketBlock.
#pragma GCC diagnostic ignored "-Wignored-attributes"
template <class T>
void pack_transposed_panel(MatrixView<T> b, std::int64_t kc, std::int64_t cols, T* out) {
  using Packet = typename Tile<T>::Packet;
  constexpr int P = Tile<T>::P, NR = Tile<T>::NR;
  std::int64_t l = 0;
  if (cols == NR) {
    for (; l + P <= kc; l += P) {
      for (int j0 = 0; j0 < NR; j0 += P) {
        ei::PacketBlock<Packet, P> block;
        for (int j = 0; j < P; ++j)
          block.packet[j] = ei::ploadu<Packet>(b.data + (j0 + j) * b.col_stride + l);
        ei::ptranspose(block);  // block.packet[i] now holds row l + i of the P columns
        for (int i = 0; i < P; ++i) ei::pstore(out + (l + i) * NR + j0, block.packet[i]);
      }
    }
  }
  for (std::int64_t j = 0; j < cols; ++j) {
    const T* column = b.data + j * b.col_stride;
    for (std::int64_t r = l; r < kc; ++r) out[r * NR + j] = column[r];
  }
}
#pragma GCC diagnostic pop

// b (kc, nc) -> panels of NR columns, each stored row by row: panel q holds b(l, q NR + j) at
// out[q NR kc + l NR + j]. Columns past nc are zero: the kernel multiplies whole packets and
// drops those columns' sums.
template <class T>
void pack_b(MatrixView<T> b, std::int64_t kc, std::int64_t nc, T* out) {
  constexpr int NR = Tile<T>::NR;
  for (std::int64_t q = 0; q < nc; q += NR, out += NR * kc) {
    const std::int64_t cols = std::min<std::int64_t>(NR, nc - q);
    if (cols < NR) std::fill(out, out + NR * kc, T(0));
    if (b.row_stride == 1 && b.col_stride != 1) {
      pack_transposed_panel(b.from(0, q), kc, cols, out);
    } else {
      for (std::int64_t l = 0; l < kc; ++l)
        for (std::int64_t j = 0; j < cols; ++j) out[l * NR + j] = b(l, q + j);
    }
  }
}

// c tile (R, W packets), rows ldc apart, = (or += when add) a (R, kc) b (kc, W packets): the one
// loop that multiplies. a is read through its two strides (a packed panel's are (1, MR)), b a
// packet at a time along its rows (a packed panel's rows are NR apart). Only the first `cols`
// columns of the tile lie inside c. Full tiles are (MR, 2); a ragged one at c's bottom edge
// takes the instance with its number of rows, and one at the right edge whose columns fit in a
// packet takes a one-packet instance: neither multiplies rows or packets that c lacks.
template <class T, int R, int W>
void micro_kernel(std::int64_t kc, MatrixView<T> a, MatrixView<T> b, T* c, std::int64_t ldc,
                  std::int64_t cols, bool add) {
  using Packet = typename Tile<T>::Packet;
  constexpr int P = Tile<T>::P;
  Packet acc[R][W];
  for (auto& row : acc)
    for (Packet& x : row) x = ei::pset1<Packet>(T(0));
  const T* ap = a.data;
  const T* bp = b.data;
  for (std::int64_t l = 0; l < kc; ++l, ap += a.col_stride, bp += b.row_stride) {
    Packet bl[W];
    for (int w = 0; w < W; ++w) bl[w] = ei::ploadu<Packet>(bp + w * P);
    for (int i = 0; i < R; ++i) {
      const Packet ai = ei::pset1<Packet>(ap[i * a.row_stride]);
      for (int w = 0; w < W; ++w) acc[i][w] = ei::pmadd(ai, bl[w], acc[i][w]);
    }
  }
  if (cols == W * P) {
    for (int i = 0; i < R; ++i, c += ldc) {
      for (int w = 0; w < W; ++w) {
        if (add) acc[i][w] = ei::padd(acc[i][w], ei::ploadu<Packet>(c + w * P));
        ei::pstoreu(c + w * P, acc[i][w]);
      }
    }
    return;
  }
  // Columns past c's right edge: through a buffer, then only the entries inside c.
  T tile[R * W * P];
  for (int i = 0; i < R; ++i)
    for (int w = 0; w < W; ++w) ei::pstoreu(tile + (i * W + w) * P, acc[i][w]);
  for (int i = 0; i < R; ++i, c += ldc)
    for (std::int64_t j = 0; j < cols; ++j) {
      c[j] = add ? c[j] + tile[i * W * P + j] : tile[i * W * P + j];
    }
}

// The kernel instance for a tile of `rows` <= MR rows and `cols` <= NR columns.
template <class T, int W>
void run_kernel(std::int64_t rows, std::int64_t kc, MatrixView<T> a, MatrixView<T> b, T* c,
                std::int64_t ldc, std::int64_t cols, bool add) {
  with_static_count<Tile<T>::MR>(rows, [&](auto r) {
    micro_kernel<T, r(), W>(kc, a, b, c, ldc, cols, add);
  });
}

// One thread's product, k > 0: c (m, n) = (or +=) a (m, k) b (k, n), block by block.
template <class T>
void gemm_blocked(std::int64_t m, std::int64_t n, std::int64_t k, MatrixView<T> a,
                  MatrixView<T> b, T* c, std::int64_t ldc, bool accumulate) {
  constexpr int P = Tile<T>::P, MR = Tile<T>::MR, NR = Tile<T>::NR;
  // Operands laid out in short rows are read where they lie, when packing them would cost about
  // as much as the kernel's time on them (long rows put a panel's rows on few L1 sets and many
  // pages). The kernel reads a through its two strides, so a needs no packing then: its ragged
  // last panel has fewer rows, and the kernel reads only those. A row-major b is read in place
  // when few rows of a reuse it; its ragged last panel is still packed, so that the kernel never
  // reads past the end of a row.
  auto short_rows = [](std::int64_t stride) {
    return stride * static_cast<std::int64_t>(sizeof(T)) < kInPlaceRowBytes;
  };
  const bool a_in_place = (a.col_stride == 1 && short_rows(a.row_stride)) ||
                          (a.row_stride == 1 && short_rows(a.col_stride));
  const bool b_in_place = b.col_stride == 1 && m <= MC && short_rows(b.row_stride);
  const std::int64_t kc_max = std::min(KC, k);
  T* packed_a =
      a_in_place ? nullptr : thread_scratch<T, PackedA>(round_up(std::min(MC, m), MR) * kc_max);
  T* packed_b = thread_scratch<T, PackedB>(round_up(std::min(NC, n), NR) * kc_max);
  for (std::int64_t jc = 0; jc < n; jc += NC) {
    const std::int64_t nc = std::min(NC, n - jc);
    const std::int64_t full = b_in_place ? nc / NR * NR : 0;  // panels read in place
    for (std::int64_t pc = 0; pc < k; pc += KC) {
      const std::int64_t kc = std::min(KC, k - pc);
      pack_b(b.from(pc, jc + full), kc, nc - full, packed_b + full * kc);
      const bool add = accumulate || pc > 0;  // later blocks of k add to the first one's sums
      for (std::int64_t ic = 0; ic < m; ic += MC) {
        const std::int64_t mc = std::min(MC, m - ic);
        if (!a_in_place) pack_a(a.from(ic, pc), mc, kc, packed_a);
        for (std::int64_t jr = 0; jr < nc; jr += NR) {
          const MatrixView<T> b_panel = jr < full ? b.from(pc, jc + jr)
                                                  : MatrixView<T>{packed_b + jr * kc, NR, 1};
          const std::int64_t cols = std::min<std::int64_t>(NR, nc - jr);
          for (std::int64_t ir = 0; ir < mc; ir += MR) {
            const std::int64_t rows = std::min<std::int64_t>(MR, mc - ir);
            const MatrixView<T> a_panel = a_in_place ? a.from(ic + ir, pc)
                                                     : MatrixView<T>{packed_a + ir * kc, 1, MR};
            T* tile = c + (ic + ir) * ldc + jc + jr;
            if (cols > P) run_kernel<T, 2>(rows, kc, a_panel, b_panel, tile, ldc, cols, add);
            else run_kernel<T, 1>(rows, kc, a_panel, b_panel, tile, ldc, cols, add);
          }
        }
      }
    }
  }
}

// The threads this call may use: OpenMP's team size outside a parallel region, else one (also
// in builds without OpenMP, such as the fuzzers').
int available_threads() {
#ifdef _OPENMP
  return omp_in_parallel() ? 1 : omp_get_max_threads();
#else
  return 1;
#endif
}

}  // namespace

template <class T>
void gemm(std::int64_t m, std::int64_t n, std::int64_t k, MatrixView<T> a, MatrixView<T> b, T* c,
          std::int64_t ldc, bool accumulate) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (std::int64_t i = 0; !accumulate && i < m; ++i) std::fill_n(c + i * ldc, n, T(0));
    return;
  }
  // Threads split the longer side of c into runs of whole tiles. Each packs its own share of
  // that side's operand and all of the other one, and writes only its own part of c.
  const bool split_rows = m > n;
  const std::int64_t length = split_rows ? m : n;
  const std::int64_t unit = split_rows ? Tile<T>::MR : Tile<T>::NR;
  const std::int64_t tiles = (length + unit - 1) / unit;
  const double macs = static_cast<double>(m) * n * k;
  const int parts = static_cast<int>(std::min<double>(
      {static_cast<double>(available_threads()), std::max(1.0, macs / kMinMacsPerThread),
       static_cast<double>(tiles)}));
  if (parts == 1) {
    gemm_blocked(m, n, k, a, b, c, ldc, accumulate);
    return;
  }
#pragma omp parallel for schedule(static) num_threads(parts)
  for (int part = 0; part < parts; ++part) {
    const std::int64_t begin = std::min(length, tiles * part / parts * unit);
    const std::int64_t end = std::min(length, tiles * (part + 1) / parts * unit);
    if (split_rows) gemm_blocked(end - begin, n, k, a.from(begin, 0), b, c + begin * ldc, ldc,
                                 accumulate);
    else gemm_blocked(m, end - begin, k, a, b.from(0, begin), c + begin, ldc, accumulate);
  }
}

template void gemm<float>(std::int64_t, std::int64_t, std::int64_t, MatrixView<float>,
                          MatrixView<float>, float*, std::int64_t, bool);
template void gemm<double>(std::int64_t, std::int64_t, std::int64_t, MatrixView<double>,
                           MatrixView<double>, double*, std::int64_t, bool);

}  // namespace ember::detail
