// For the tests that run ember's programs (examples/, tools/) as a user would: a scratch folder
// in the build tree, reading a whole file back, and running a command with its output captured.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace ember::test {

// The whole file, bytes as they are ("" when it cannot be read).
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// EMBER_BINARY_DIR/<folder>/<name>, the folder made if missing.
inline std::string scratch_path(const std::string& folder, const std::string& name) {
  const std::string dir = std::string(EMBER_BINARY_DIR) + "/" + folder;
  std::filesystem::create_directories(dir);
  return dir + "/" + name;
}

struct ProgramResult {
  int status;       // the exit status, -1 when the program did not exit (killed by a signal)
  std::string out;  // stdout, and stderr too with merge_stderr
  std::string err;
};

// Runs `command` through the shell with stdout and stderr captured in files of `folder`.
// merge_stderr sends both to `out`, in the order they were written.
inline ProgramResult run_program(const std::string& command, const std::string& folder,
                                 bool merge_stderr = false) {
  const std::string out = scratch_path(folder, "stdout.txt"), err = scratch_path(folder, "stderr.txt");
  const std::string redirect = merge_stderr ? " >" + out + " 2>&1" : " >" + out + " 2>" + err;
  std::remove(err.c_str());
  const int status = std::system((command + redirect).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), merge_stderr ? "" : read_file(err)};
}

}  // namespace ember::test
