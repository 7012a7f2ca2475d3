// libFuzzer target: TorchScript archives. The bytes go to the class-declaration parser as a
// code file, and as a whole file through detection, load_torchscript and its state_dict (data.pkl
// as inert objects, code files inflated and parsed). Anything but a clean SerializeError (a
// crash, a sanitizer report, another exception, a hang) is a bug. Seeds:
// tests/fixtures/torchscript/*.pt and their code files. Run by scripts/fuzz.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ember/serialize/mapped_file.h"
#include "ember/serialize/serialize_error.h"
#include "ember/serialize/torchscript.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const std::string text(reinterpret_cast<const char*>(data), size);
    (void)ember::serialize::parse_script_classes(text, "__torch__.m", "fuzz.py", "code/__torch__/m.py");
  } catch (const ember::SerializeError&) {
  }
  try {
    auto file = ember::serialize::MappedFile::from_bytes("fuzz.pt", data, size);
    if (ember::serialize::is_torchscript_archive(*file)) {
      ember::serialize::TorchScriptLimits limits;
      limits.max_code_file_size = 1 << 20;  // the fuzzer's inputs are far smaller
      const ember::serialize::ScriptArchive archive = ember::serialize::load_torchscript(file, limits);
      (void)ember::serialize::script_module_state_dict(archive.root);
    }
  } catch (const ember::SerializeError&) {
  }
  return 0;
}
