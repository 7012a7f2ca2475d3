// serialize: PyTorch's legacy format (before 1.6, or _use_new_zipfile_serialization=False)
// loads with torch.load's values, and damaged or unsupported legacy files give SerializeError
// naming the file, the section with its byte offset, and what was found.
// Fixtures: scripts/make_legacy_fixtures.py.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>

#include "ember/serialize/legacy_format.h"
#include "ember/serialize/mapped_file.h"
#include "ember/serialize/serialize.h"
#include "tests/programs.h"
#include "tests/test_serialize_helpers.h"

using namespace ember;
using namespace std::string_literals;  // pickles hold NUL bytes: "..."s keeps them
using doctest::Contains;
using ember::test::check_matches;
using ember::test::legacy_fixture;
using ember::test::scratch;

namespace {

nlohmann::json expected() {
  return nlohmann::json::parse(test::read_file(legacy_fixture("expected.json")));
}

std::size_t mark(const std::string& name, std::size_t k) {
  return expected()["layout:" + name][k].get<std::size_t>();
}

Value load_bytes(const std::string& name, const std::string& bytes) {
  const std::string path = scratch(name);
  test::write_file(path, bytes);
  return load(path);
}

// "load: 'PATH', entry 'ENTRY': REASON", as SerializeError prints it.
std::string message(const std::string& path, const std::string& entry, const std::string& reason) {
  return "load: '" + path + "', entry '" + entry + "': " + reason;
}

std::string le(std::uint64_t v, int bytes) {
  std::string out;
  for (int k = 0; k < bytes; ++k) out += static_cast<char>((v >> (8 * k)) & 0xff);
  return out;
}

// Pickle pieces for hand-made files: a str, an int, a storage view's metadata, and a dict item
// name -> _rebuild_tensor_v2(('storage', torch.<cls>, key, 'cpu', numel, view), 0, (n,), (1,)).
std::string str(const std::string& s) { return "X" + le(s.size(), 4) + s; }
std::string int32(std::int64_t v) { return "J" + le(static_cast<std::uint64_t>(v), 4); }
std::string view(const std::string& key, std::int64_t offset, std::int64_t numel) {
  return "(" + str(key) + int32(offset) + int32(numel) + "t";
}
std::string tensor_item(const std::string& name, const std::string& cls, const std::string& key, std::int64_t numel,
                        const std::string& view_metadata, std::int64_t n) {
  return str(name) + "ctorch._utils\n_rebuild_tensor_v2\n((" + str("storage") + "ctorch\n" + cls + "\n" + str(key) +
         str("cpu") + int32(numel) + view_metadata + "tQK\x00("s + int32(n) + "t(K\x01t\x89}tR"s;
}

// A legacy file: state_dict.pt's three header pickles, then {items}, the storage list and the
// storages' sections (count + bytes).
std::string legacy_file(const std::string& items, const std::vector<std::string>& keys, const std::string& sections) {
  std::string list = "\x80\x02](";
  for (const std::string& k : keys) list += str(k);
  return test::read_file(legacy_fixture("state_dict.pt")).substr(0, mark("state_dict", 3)) + "\x80\x02}(" + items +
         "u." + list + "e." + sections;
}
std::string floats(std::initializer_list<float> values) {
  std::string out = le(values.size(), 8);
  for (float f : values) out.append(reinterpret_cast<const char*>(&f), sizeof f);
  return out;
}

// PyTorch gives a tensor on a storage view offsets into the view; ember's tensor sits on the
// root storage, so its offset counts from the root: the view's offset plus PyTorch's.
nlohmann::json on_root_storage(nlohmann::json e) {
  const std::map<std::string, int> view_offset{{"root", 0}, {"middle", 2}, {"tail", 6}, {"tail_t", 6}};
  for (auto& item : e["__dict__"]) item[1]["offset"] = item[1]["offset"].get<int>() + view_offset.at(item[0]);
  return e;
}

}  // namespace

TEST_CASE("legacy: PyTorch's legacy files load with torch.load's values") {
  const nlohmann::json e = expected();
  for (const char* name : {"state_dict", "checkpoint", "dtypes", "views", "shared", "protocol4", "cuda", "long8"}) {
    SUBCASE(name) { check_matches(load(legacy_fixture(std::string(name) + ".pt")), e[name], name); }
  }
  SUBCASE("storage_views") {
    check_matches(load(legacy_fixture("storage_views.pt")), on_root_storage(e["storage_views"]), "storage_views");
  }
  SUBCASE("serialize/legacy.pt, the zip fixtures' state_dict") {
    check_matches(load(test::fixture("legacy.pt")), test::expected_json()["state_dict"], "legacy.pt");
  }
  SUBCASE("bytes after the last storage are ignored, as torch.load ignores them") {
    const std::string bytes = test::read_file(legacy_fixture("state_dict.pt")) + "trailing garbage";
    check_matches(load_bytes("legacy_trailing.pt", bytes), e["state_dict"], "trailing");
  }
}

TEST_CASE("legacy: tensors sharing a storage, and storage views, share one Storage") {
  Value shared = load(legacy_fixture("shared.pt"));
  const Tensor& w = shared.at("encoder.weight").as_tensor();
  CHECK(shared.at("decoder.weight").as_tensor().is_same(w));  // the memo: one tensor object
  CHECK(shared.at("flat").as_tensor().storage() == w.storage());
  CHECK(shared.at("row").as_tensor().storage() == w.storage());
  CHECK(shared.at("other").as_tensor().storage() != w.storage());

  Value views = load(legacy_fixture("views.pt"));
  for (const char* name : {"row", "tail", "t", "col", "every_other", "block"}) {
    CHECK(views.at(name).as_tensor().storage() == views.at("base").as_tensor().storage());
  }
  Value old_views = load(legacy_fixture("storage_views.pt"));
  for (const char* name : {"middle", "tail", "tail_t"}) {
    CHECK(old_views.at(name).as_tensor().storage() == old_views.at("root").as_tensor().storage());
  }

  // A view from a hand-made file: elements [1, 3) of a 4-element storage.
  const std::string items = tensor_item("all", "FloatStorage", "0", 4, "N", 4) +
                            tensor_item("part", "FloatStorage", "0", 4, view("0v", 1, 2), 2);
  Value v = load_bytes("legacy_view.pt", legacy_file(items, {"0"}, floats({10, 11, 12, 13})));
  const Tensor& part = v.at("part").as_tensor();
  CHECK(part.storage() == v.at("all").as_tensor().storage());
  CHECK(part.storage_offset() == 1);
  CHECK(part.to_vector<double>() == std::vector<double>{11, 12});
}

TEST_CASE("legacy: unsupported files are refused, saying what was found") {
  const std::string big = legacy_fixture("big_endian.pt");
  CHECK_THROWS_WITH_AS(load(big),
                       message(big, "sys_info at byte 21",
                               "sys_info little_endian is False: the file was written on a big-endian machine, and "
                               "ember reads little-endian files only; load and re-save it with PyTorch on the "
                               "machine that wrote it").c_str(),
                       SerializeError);
  const std::string int8 = legacy_fixture("int8.pt");
  CHECK_THROWS_WITH_AS(load(int8),
                       message(int8, "sys_info at byte 21",
                               "sys_info type_sizes {'short': 2, 'int': 8, 'long': 4}, expected {'short': 2, "
                               "'int': 4, 'long': 4 or 8}").c_str(),
                       SerializeError);
  const std::string complex = legacy_fixture("complex.pt");
  CHECK_THROWS_WITH_AS(load(complex),
                       Contains(message(complex, "object pickle at byte 137",
                                        "the file holds torch.complex64 tensors (torch.ComplexFloatStorage), a dtype "
                                        "ember does not have (pickle byte ").c_str()),
                       SerializeError);
  const std::string tar = legacy_fixture("tar_format.pt");
  CHECK_THROWS_WITH_AS(load(tar),
                       ("load: '" + tar + "': file is in PyTorch's tar format (before PyTorch 0.4: members "
                        "'sys_info', 'pickle', 'storages', 'tensors'), which ember does not read; re-save it with "
                        "PyTorch: torch.save(torch.load(path), path)").c_str(),
                       SerializeError);
}

// With weights_only=true (ember::load's default) a legacy whole model (torch.save(model)) is
// refused exactly as the same model in the zip format is; test_model_files.cpp reads both.
TEST_CASE("legacy: whole models are refused as in the zip format") {
  for (const char* name : {"model_sequential", "model_nested"}) {
    CAPTURE(name);
    std::string legacy_reason, zip_reason;
    try {
      load(legacy_fixture(std::string(name) + ".pt"));
    } catch (const SerializeError& e) {
      legacy_reason = e.reason();
    }
    try {
      load(legacy_fixture(std::string(name) + "_zip.pt"));
    } catch (const SerializeError& e) {
      zip_reason = e.reason();
    }
    CHECK(legacy_reason.find("global 'torch.nn.modules.container.Sequential'") != std::string::npos);
    CHECK(legacy_reason.find("ember::load_state_dict(path)") != std::string::npos);
    // Equal up to where in the pickle it was found.
    CHECK(legacy_reason.substr(0, legacy_reason.rfind(" (pickle byte")) ==
          zip_reason.substr(0, zip_reason.rfind(" (pickle byte")));
  }
}

TEST_CASE("legacy: a storage list that disagrees with the pickle is refused") {
  const std::string list = "storage list at byte " + std::to_string(mark("state_dict", 4));
  const auto keys = expected()["keys:state_dict"];
  const std::string last = keys.back().get<std::string>();
  const std::string missing = legacy_fixture("keys_missing.pt");
  CHECK_THROWS_WITH_AS(load(missing),
                       message(missing, list, "storage '" + last + "', which the pickle names, is missing from the list")
                           .c_str(),
                       SerializeError);
  const std::string repeated = legacy_fixture("keys_repeated.pt");
  CHECK_THROWS_WITH_AS(load(repeated), message(repeated, list, "lists storage '" + last + "' twice").c_str(),
                       SerializeError);
  const std::string unknown = legacy_fixture("keys_unknown.pt");
  CHECK_THROWS_WITH_AS(load(unknown),
                       message(unknown, list, "lists storage '999', which the pickle never names").c_str(),
                       SerializeError);
}

TEST_CASE("legacy: truncated and corrupted files give SerializeError naming the section and byte") {
  const std::string good = test::read_file(legacy_fixture("state_dict.pt"));
  const std::string path = scratch("legacy_damaged.pt");
  const auto marks = expected()["layout:state_dict"].get<std::vector<std::size_t>>();
  const auto keys = expected()["keys:state_dict"].get<std::vector<std::string>>();
  // Cut at every section boundary, and one byte either side of it.
  for (std::size_t k = 0; k + 1 < marks.size(); ++k) {
    for (std::size_t cut : {marks[k], marks[k] + 1, marks[k + 1] - 1}) {
      CAPTURE(cut);
      CHECK_THROWS_AS(load_bytes("legacy_damaged.pt", good.substr(0, cut)), SerializeError);
    }
  }
  CHECK_THROWS_WITH_AS(load_bytes("legacy_damaged.pt", good.substr(0, marks[1])),
                       message(path, "protocol version at byte 15",
                               "pickle stream ends without STOP (truncated) (pickle byte 0)").c_str(),
                       SerializeError);
  CHECK_THROWS_WITH_AS(load_bytes("legacy_damaged.pt", good.substr(0, marks[5] + 3)),
                       message(path, "storage '" + keys[0] + "' at byte " + std::to_string(marks[5]),
                               "the file ends inside the storage's element count (truncated)").c_str(),
                       SerializeError);
  // conv1.weight: 2*1*3*3 float32 elements.
  CHECK_THROWS_WITH_AS(load_bytes("legacy_damaged.pt", good.substr(0, marks[5] + 8 + 71)),
                       message(path, "storage '" + keys[0] + "' at byte " + std::to_string(marks[5]),
                               "needs 72 bytes of data, the file has 71 left (truncated)").c_str(),
                       SerializeError);
  // Element counts that disagree with the pickle's numel.
  for (std::uint64_t count : {std::uint64_t{19}, std::uint64_t{17}, ~std::uint64_t{0}, std::uint64_t{1} << 62}) {
    CAPTURE(count);
    std::string bad = good;
    bad.replace(marks[5], 8, le(count, 8));
    CHECK_THROWS_WITH_AS(load_bytes("legacy_damaged.pt", bad),
                         message(path, "storage '" + keys[0] + "' at byte " + std::to_string(marks[5]),
                                 "holds " + std::to_string(static_cast<std::int64_t>(count)) +
                                     " elements, the pickle says 18 float32 elements").c_str(),
                         SerializeError);
  }
  // Every single-byte change in the pickles either loads or is a SerializeError (a crash or any
  // other exception fails the test).
  for (std::size_t at = 0; at < marks[5]; ++at) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x5a);
    try {
      serialize::load_legacy_pt(serialize::MappedFile::from_bytes("flipped.pt", bad.data(), bad.size()));
    } catch (const SerializeError&) {
    }
  }
}

TEST_CASE("legacy: hand-made files with bad storage references are refused before allocating") {
  const std::string path = scratch("legacy_bad.pt");
  const std::string objects = "object pickle at byte " + std::to_string(mark("state_dict", 3));
  const auto expect = [&](const std::string& bytes, const std::string& entry, const std::string& reason) {
    CHECK_THROWS_WITH_AS(load_bytes("legacy_bad.pt", bytes), Contains(message(path, entry, reason).c_str()),
                         SerializeError);
  };
  // 2^30 float32 elements (4 GiB) in a file of a few hundred bytes: refused when named.
  std::string huge = legacy_file(tensor_item("t", "FloatStorage", "0", 1 << 30, "N", 1), {"0"}, le(1 << 30, 8));
  expect(huge, objects, "storage '0' of 1073741824 float32 elements is larger than the rest of the file (" +
                            std::to_string(huge.size() - mark("state_dict", 3)) + " bytes)");
  expect(legacy_file(tensor_item("t", "FloatStorage", "0", 4, view("0v", 2, 3), 3), {"0"}, floats({1, 2, 3, 4})),
         objects, "view '0v' of elements [2, 5) lies outside storage '0' of 4 elements");
  expect(legacy_file(tensor_item("a", "FloatStorage", "0", 4, "N", 4) +
                         tensor_item("b", "IntStorage", "0", 4, "N", 4),
                     {"0"}, floats({1, 2, 3, 4})),
         objects, "storage '0' is named as 4 float32 elements and as 4 int32 elements");
  expect(legacy_file(tensor_item("a", "FloatStorage", "0", 4, view("v", 0, 2), 2) +
                         tensor_item("b", "FloatStorage", "0", 4, view("v", 1, 2), 2),
                     {"0"}, floats({1, 2, 3, 4})),
         objects, "key 'v' names two different storages or views");
  const std::string list_at = "storage list at byte ";
  std::string with_view = legacy_file(tensor_item("a", "FloatStorage", "0", 4, view("v", 0, 2), 2), {"0", "v"},
                                      floats({1, 2, 3, 4}));
  expect(with_view, list_at + std::to_string(with_view.find("\x80\x02](", mark("state_dict", 3))),
         "lists 'v', which the pickle names as a storage view");
  // The tensor's own extent is checked against the view, not the root.
  expect(legacy_file(tensor_item("a", "FloatStorage", "0", 4, view("v", 1, 2), 3), {"0"}, floats({1, 2, 3, 4})),
         objects, "storage too short for its tensor");
  std::string header = test::read_file(legacy_fixture("state_dict.pt")).substr(0, 15) + "\x80\x02M\xe8\x03."s;
  expect(header, "protocol version at byte 15", "protocol version 1000, expected 1001");
  CHECK_THROWS_WITH_AS(serialize::load_legacy_pt(serialize::MappedFile::from_bytes("zip.pt", "PK\x03\x04", 4)),
                       "load: 'zip.pt', entry 'magic number at byte 0': not PyTorch's legacy format (no pickled "
                       "magic number)",
                       SerializeError);
}

TEST_CASE("legacy: ember inspect and convert read a legacy file") {
  const std::string ember = std::string(EMBER_BINARY_DIR) + "/tools/ember";
  if (FILE* f = std::fopen(ember.c_str(), "r")) {
    std::fclose(f);
  } else {
    MESSAGE("skipped: ", ember, " is not built");
    return;
  }
  const auto run = [&](const std::string& args) { return test::run_program(ember + " " + args, "legacy_cli_test"); };
  test::ProgramResult r = run("inspect " + legacy_fixture("checkpoint.pt"));
  CHECK(r.status == 0);
  CHECK(r.out.find("epoch") != std::string::npos);
  CHECK(r.out.find("conv1.weight            float32 [2, 1, 3, 3]\n") != std::string::npos);
  CHECK(r.out.find("loss                  float32 []\n") != std::string::npos);
  const nlohmann::json e = expected();
  const std::string st = scratch("legacy_cli.safetensors");
  const std::string pt = scratch("legacy_cli.pt");
  CHECK(run("convert " + legacy_fixture("state_dict.pt") + " " + pt).status == 0);
  check_matches(load(pt), e["state_dict"], "converted to .pt");
  CHECK(run("convert " + legacy_fixture("state_dict.pt") + " " + st).status == 0);
  nlohmann::json plain = e["state_dict"];
  plain.erase("ordered");  // safetensors keeps neither OrderedDict nor _metadata
  plain.erase("metadata");
  check_matches(load(st), plain, "converted to .safetensors");
}

// Runs when /usr/bin/python3 can import torch (Debian's python3-torch), and says so when not.
TEST_CASE("legacy interop: torch.load of each fixture gives what ember loads") {
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
    MESSAGE("skipped: /usr/bin/python3 cannot import torch");
    return;
  }
  const std::string out = scratch("legacy_torch_reads.json");
  std::string cmd = "/usr/bin/python3 " + std::string(EMBER_SOURCE_DIR) + "/tests/interop/torch_reads.py " + out;
  const std::vector<std::string> names{"state_dict", "checkpoint", "dtypes", "views", "shared",
                                       "protocol4", "cuda", "long8", "storage_views"};
  for (const std::string& name : names) cmd += " " + legacy_fixture(name + ".pt") + (name == "cuda" ? ":cpu" : "");
  REQUIRE_MESSAGE(std::system((cmd + " >/dev/null 2>&1").c_str()) == 0, "PyTorch could not load the fixtures: ", cmd);
  const nlohmann::json seen = nlohmann::json::parse(test::read_file(out));
  for (const std::string& name : names) {
    const std::string path = legacy_fixture(name + ".pt");
    check_matches(load(path), name == "storage_views" ? on_root_storage(seen[path]) : seen[path], name);
  }
}
