// The smallest program that shows GCC 12's wrong code for wide integer constants with AVX-512F:
// copying a 32- or 64-byte constant whose non-zero 64-bit words are all equal and whose high
// words are zero. GCC holds such a constant as a CONST_WIDE_INT of only its low words (the zero
// high words are implicit), and ix86_convert_const_wide_int_to_broadcast compares only the words
// it holds, so it loads the constant as a broadcast: {2, 2, 0, 0} becomes {2, 2, 2, 2}.
// The constant takes that form when block copies may move 32 bytes at once (MOVE_MAX >= 32),
// which AVX-512F enables by default; cmake/wide_constant_broadcast.cmake compiles this file and
// reads the generated code, and the test binary runs the same pattern (test_compiler_bugs.cpp).
#include <cstdint>
#include <cstring>

extern "C" {
__attribute__((noipa)) void copy_2200(std::int64_t* out) {
  const std::int64_t value[4] = {2, 2, 0, 0};
  std::memcpy(out, value, sizeof value);
}
__attribute__((noipa)) void copy_3330(std::int64_t* out) {
  const std::int64_t value[4] = {3, 3, 3, 0};
  std::memcpy(out, value, sizeof value);
}
__attribute__((noipa)) void copy_77000000(std::int64_t* out) {
  const std::int64_t value[8] = {7, 7, 0, 0, 0, 0, 0, 0};
  std::memcpy(out, value, sizeof value);
}
}

// Exits 0 when all three copies are right: the same check, for a machine that can run the code.
int main() {
  std::int64_t out[8] = {};
  copy_2200(out);
  const bool ok_2200 = out[0] == 2 && out[1] == 2 && out[2] == 0 && out[3] == 0;
  copy_3330(out);
  const bool ok_3330 = out[0] == 3 && out[1] == 3 && out[2] == 3 && out[3] == 0;
  copy_77000000(out);
  bool ok_77000000 = true;
  for (int i = 0; i < 8; ++i) ok_77000000 = ok_77000000 && out[i] == (i < 2 ? 7 : 0);
  return ok_2200 && ok_3330 && ok_77000000 ? 0 : 1;
}
