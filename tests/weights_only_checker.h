// A model of torch.load(weights_only=True), independent of ember's pickle reader: it walks a
// pickle as PyTorch's restricted unpickler does and names the first thing it would refuse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ember::test {

// Whose rules: PyTorch 2.6, where weights_only=True became torch.load's default, or 1.13 (the
// one installed here), whose opcode and global lists are shorter (no BINFLOAT, no Counter, set,
// bytearray, _codecs.encode or torch.device, no NEWOBJ but for Parameter).
enum class TorchRules { pytorch_2_6, pytorch_1_13 };

// The verdict on one pickle. Accepted means PyTorch's unpickler takes every opcode, every global
// and every call in it, and that each tensor's storage and view would rebuild (the records it
// names exist and hold enough elements). Where it is stricter than PyTorch, it is on purpose:
// a storage's numel must match its record's size exactly (PyTorch 1.13 reads a record of any
// size), SETITEM(S) only fills dicts, and where a version's allowlist is in doubt the name is
// refused. Stricter is safe for a guarantee that PyTorch opens what ember writes.
struct WeightsOnlyReport {
  bool accepted = false;
  std::size_t offset = 0;  // byte of the refused opcode in the pickle (of STOP when accepted)
  std::string reason;      // why it is refused; empty when accepted
  std::vector<std::string> globals;  // every GLOBAL named, in order of first appearance
  // "accepted" or "byte 17 (GLOBAL): os.system is not an allowed global".
  std::string describe() const;
};

// Checks the pickle bytes. records, when given, holds the size in bytes of each storage record
// by key (the "0" of <archive>/data/0): a storage's persistent id must name one of them and fit
// it. Without it those two checks are skipped.
// safe_globals are the classes a user allowed with torch.serialization.add_safe_globals
// ("torch.nn.modules.conv.Conv2d"): with 2.6's rules, GLOBAL may name them, NEWOBJ create
// them and BUILD set their state from a dict, as PyTorch's unpickler then does.
WeightsOnlyReport check_weights_only(const std::string& pickle, TorchRules rules,
                                     const std::map<std::string, std::uint64_t>* records = nullptr,
                                     const std::vector<std::string>& safe_globals = {});

// Checks the data.pkl of a torch.save archive against its data/ records. The zip itself is read
// with ember's ZipReader: what is checked here is the pickle, not the archive.
WeightsOnlyReport check_weights_only_file(const std::string& path, TorchRules rules,
                                          const std::vector<std::string>& safe_globals = {});

}  // namespace ember::test
