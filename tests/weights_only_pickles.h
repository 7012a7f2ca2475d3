// Hand-made pickles for the weights_only tests: one tensor as torch.save pickles it, with the
// knobs that make PyTorch refuse it.
#pragma once

#include <string>

namespace ember::test {

// _rebuild_tensor_v2((storage pid), offset, (rows, 3), (3, 1), requires_grad, OrderedDict())
// over storage "0", a torch.<storage_class> of numel elements on the cpu.
inline std::string tensor_pickle(const std::string& storage_class, int numel, int offset, int rows,
                                 bool requires_grad) {
  using namespace std::string_literals;
  std::string p = "\x80\x02" "ctorch._utils\n_rebuild_tensor_v2\n("s;
  p += "(X\x07\x00\x00\x00storagectorch\n"s + storage_class + "\nX\x01\x00\x00\x00" "0X\x03\x00\x00\x00" "cpuK"s;
  p += {static_cast<char>(numel), 't', 'Q', 'K', static_cast<char>(offset), 'K', static_cast<char>(rows)};
  p += "K\x03\x86K\x03K\x01\x86"s + (requires_grad ? "\x88" : "\x89") + "ccollections\nOrderedDict\n)RtR.";
  return p;
}

}  // namespace ember::test
