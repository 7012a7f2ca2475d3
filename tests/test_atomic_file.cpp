// serialize/atomic_file: saving leaves what is around the file as torch.save does. Symlinks are
// written through (the link stays, its target is replaced), an existing file keeps its mode and
// owner, a new one gets 0666 less the umask; and what it refuses, with the messages.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "ember/serialize/serialize.h"
#include "ember/tensor/factories.h"
#include "tests/test_serialize_helpers.h"

using namespace ember;
namespace fs = std::filesystem;

namespace {

// An empty scratch folder for one test case.
std::string fresh_dir(const std::string& name) {
  const std::string dir = test::scratch_path("atomic_file_test", name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

Value checkpoint(std::int64_t step) {
  return Value{{"step", static_cast<long long>(step)},
               {"weights", tensor({1.0, 2.0, static_cast<double>(step)})}};
}

std::int64_t step_of(const std::string& path) { return load(path).at("step").as_int(); }

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// The names in a folder: no ".x.tmp-*" may be left behind by a save.
std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// Sets the umask for one scope: it is the process's, and other tests expect the usual one.
struct UmaskScope {
  explicit UmaskScope(mode_t mask) : old(::umask(mask)) {}
  ~UmaskScope() { ::umask(old); }
  mode_t old;
};

}  // namespace

TEST_CASE("save through a relative symlink replaces its target and leaves the link") {
  const std::string dir = fresh_dir("relative");
  fs::create_directory(dir + "/real");
  save(checkpoint(1), dir + "/real/latest.pt");
  fs::create_symlink("real/latest.pt", dir + "/latest.pt");

  save(checkpoint(2), dir + "/latest.pt");
  CHECK(fs::is_symlink(dir + "/latest.pt"));
  CHECK(fs::read_symlink(dir + "/latest.pt") == "real/latest.pt");
  CHECK(step_of(dir + "/real/latest.pt") == 2);
  CHECK(step_of(dir + "/latest.pt") == 2);
  CHECK(load(dir + "/latest.pt").at("weights").as_tensor().to_vector<double>() ==
        std::vector<double>{1, 2, 2});
  CHECK(names_in(dir) == std::vector<std::string>{"latest.pt", "real"});
  CHECK(names_in(dir + "/real") == std::vector<std::string>{"latest.pt"});
}

TEST_CASE("save through an absolute symlink, and through safetensors' writer too") {
  const std::string dir = fresh_dir("absolute");
  save(checkpoint(1), dir + "/target.pt");
  fs::create_symlink(dir + "/target.pt", dir + "/link.pt");
  save(checkpoint(3), dir + "/link.pt");
  CHECK(fs::is_symlink(dir + "/link.pt"));
  CHECK(step_of(dir + "/target.pt") == 3);

  save_safetensors(Value{{"w", tensor({4.0, 5.0})}}, dir + "/target.safetensors");
  fs::create_symlink(dir + "/target.safetensors", dir + "/link.safetensors");
  save_safetensors(Value{{"w", tensor({6.0})}}, dir + "/link.safetensors");
  CHECK(fs::is_symlink(dir + "/link.safetensors"));
  CHECK(load(dir + "/target.safetensors").at("w").as_tensor().to_vector<double>() ==
        std::vector<double>{6});
}

TEST_CASE("save follows a chain of links, each relative to its own directory") {
  // latest.pt -> links/b.pt -> ../real/c.pt: "../real" is read from links/, not from dir.
  const std::string dir = fresh_dir("chain");
  fs::create_directory(dir + "/links");
  fs::create_directory(dir + "/real");
  save(checkpoint(1), dir + "/real/c.pt");
  fs::create_symlink("../real/c.pt", dir + "/links/b.pt");
  fs::create_symlink("links/b.pt", dir + "/latest.pt");
  save(checkpoint(4), dir + "/latest.pt");
  CHECK(fs::is_symlink(dir + "/latest.pt"));
  CHECK(fs::is_symlink(dir + "/links/b.pt"));
  CHECK(step_of(dir + "/real/c.pt") == 4);
  CHECK(names_in(dir + "/links") == std::vector<std::string>{"b.pt"});
}

TEST_CASE("save follows 40 links, as open() does, and names a loop") {
  const std::string dir = fresh_dir("loop");
  save(checkpoint(1), dir + "/end.pt");
  std::string previous = "end.pt";
  for (int i = 1; i <= 41; ++i) {
    const std::string name = "link" + std::to_string(i);
    fs::create_symlink(previous, dir + "/" + name);
    previous = name;
  }
  save(checkpoint(5), dir + "/link40");  // 40 links to the file: what open() still follows
  CHECK(step_of(dir + "/end.pt") == 5);
  CHECK_THROWS_WITH_AS(save(checkpoint(6), dir + "/link41"),
                       ("save: '" + dir + "/link41': more than 40 symbolic links to follow, as "
                        "in a loop (Too many levels of symbolic links)").c_str(),
                       SerializeError);
  CHECK(step_of(dir + "/end.pt") == 5);

  fs::create_symlink("b", dir + "/a");
  fs::create_symlink("a", dir + "/b");
  CHECK_THROWS_WITH_AS(save(checkpoint(7), dir + "/a"),
                       ("save: '" + dir + "/a': more than 40 symbolic links to follow, as in a "
                        "loop (Too many levels of symbolic links)").c_str(),
                       SerializeError);
}

TEST_CASE("save through a dangling link creates its target, if the target's directory exists") {
  const std::string dir = fresh_dir("dangling");
  fs::create_directory(dir + "/real");
  fs::create_symlink("real/new.pt", dir + "/latest.pt");
  save(checkpoint(8), dir + "/latest.pt");
  CHECK(fs::is_symlink(dir + "/latest.pt"));
  CHECK(fs::is_regular_file(fs::symlink_status(dir + "/real/new.pt")));
  CHECK(step_of(dir + "/real/new.pt") == 8);

  fs::create_symlink("nowhere/x.pt", dir + "/lost.pt");
  CHECK_THROWS_WITH_AS(save(checkpoint(9), dir + "/lost.pt"),
                       ("save: '" + dir + "/lost.pt': symbolic link to '" + dir +
                        "/nowhere/x.pt': directory '" + dir +
                        "/nowhere' does not exist (No such file or directory)").c_str(),
                       SerializeError);
  CHECK(fs::is_symlink(dir + "/lost.pt"));
  CHECK_THROWS_WITH_AS(save(checkpoint(9), dir + "/missing/x.pt"),
                       ("save: '" + dir + "/missing/x.pt': directory '" + dir +
                        "/missing' does not exist (No such file or directory)").c_str(),
                       SerializeError);
}

TEST_CASE("save over an existing file keeps its permission bits, whatever the umask") {
  const std::string dir = fresh_dir("mode");
  UmaskScope umask(022);
  for (mode_t mode : std::initializer_list<mode_t>{0600, 0640, 0604, 0660, 0755}) {
    CAPTURE(mode);
    const std::string path = dir + "/ckpt.pt";
    save(checkpoint(1), path);
    fs::permissions(path, static_cast<fs::perms>(mode));
    save(checkpoint(2), path);
    CHECK(mode_of(path) == mode);
    CHECK(step_of(path) == 2);
  }
  // Through a link, the target's mode is the one kept.
  save(checkpoint(1), dir + "/private.pt");
  fs::permissions(dir + "/private.pt", static_cast<fs::perms>(0600));
  fs::create_symlink("private.pt", dir + "/link.pt");
  save(checkpoint(3), dir + "/link.pt");
  CHECK(mode_of(dir + "/private.pt") == 0600);
  CHECK(names_in(dir) == std::vector<std::string>{"ckpt.pt", "link.pt", "private.pt"});
}

TEST_CASE("a new file gets 0666 less the umask, as open() gives it") {
  const std::string dir = fresh_dir("umask");
  {
    UmaskScope umask(022);
    save(checkpoint(1), dir + "/a.pt");
    save_safetensors(Value{{"w", tensor({1.0})}}, dir + "/a.safetensors");
  }
  {
    UmaskScope umask(077);
    save(checkpoint(1), dir + "/b.pt");
  }
  CHECK(mode_of(dir + "/a.pt") == 0644);
  CHECK(mode_of(dir + "/a.safetensors") == 0644);
  CHECK(mode_of(dir + "/b.pt") == 0600);
}

TEST_CASE("save over an existing file keeps its owner and group where it may (root)") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: only root may give a file to another owner");
    return;
  }
  const std::string path = fresh_dir("owner") + "/ckpt.pt";
  save(checkpoint(1), path);
  REQUIRE(::chown(path.c_str(), 4321, 4322) == 0);
  save(checkpoint(2), path);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(st.st_uid == 4321u);
  CHECK(st.st_gid == 4322u);
}

TEST_CASE("save refuses a directory, a FIFO and a read-only file, and leaves them") {
  const std::string dir = fresh_dir("refused");
  fs::create_directory(dir + "/sub");
  CHECK_THROWS_WITH_AS(save(checkpoint(1), dir + "/sub"),
                       ("save: '" + dir + "/sub': is a directory, not a file").c_str(),
                       SerializeError);
  REQUIRE(::mkfifo((dir + "/fifo").c_str(), 0644) == 0);
  fs::create_symlink("fifo", dir + "/to_fifo");
  CHECK_THROWS_WITH_AS(save(checkpoint(1), dir + "/to_fifo"),
                       ("save: '" + dir + "/to_fifo': symbolic link to '" + dir +
                        "/fifo': is not a regular file (a device, FIFO or socket): save replaces "
                        "files only").c_str(),
                       SerializeError);
  CHECK(fs::is_fifo(dir + "/fifo"));
  CHECK(names_in(dir) == std::vector<std::string>{"fifo", "sub", "to_fifo"});
  if (::geteuid() == 0) {
    MESSAGE("read-only file skipped: root may write any file, with open() as with save()");
    return;
  }
  save(checkpoint(1), dir + "/readonly.pt");
  fs::permissions(dir + "/readonly.pt", static_cast<fs::perms>(0444));
  CHECK_THROWS_WITH_AS(save(checkpoint(2), dir + "/readonly.pt"),
                       ("save: '" + dir + "/readonly.pt': is not writable (Permission denied)")
                           .c_str(),
                       SerializeError);
  CHECK(step_of(dir + "/readonly.pt") == 1);
}

TEST_CASE("save breaks hard links: the other name keeps the old checkpoint (documented)") {
  const std::string dir = fresh_dir("hardlink");
  save(checkpoint(1), dir + "/a.pt");
  fs::create_hard_link(dir + "/a.pt", dir + "/b.pt");
  save(checkpoint(2), dir + "/a.pt");
  CHECK(step_of(dir + "/a.pt") == 2);
  CHECK(step_of(dir + "/b.pt") == 1);
  CHECK(fs::hard_link_count(dir + "/a.pt") == 1);
}

TEST_CASE("torch.save and ember's save leave a 0600 file behind a symlink alike") {
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
    MESSAGE("skipped: /usr/bin/python3 cannot import torch");
    return;
  }
  const std::string dir = fresh_dir("torch");
  for (const std::string who : {"torch", "ember"}) {
    CAPTURE(who);
    const std::string target = dir + "/" + who + ".pt", link = dir + "/" + who + "_link.pt";
    save(checkpoint(1), target);
    fs::permissions(target, static_cast<fs::perms>(0600));
    fs::create_symlink(who + ".pt", link);
    if (who == "torch") {
      const std::string script = "import torch; torch.save({'step': 2}, '" + link + "')";
      REQUIRE(std::system(("/usr/bin/python3 -c \"" + script + "\"").c_str()) == 0);
    } else {
      save(checkpoint(2), link);
    }
    CHECK(fs::is_symlink(link));
    CHECK(mode_of(target) == 0600);
    CHECK(step_of(target) == 2);
  }
}
