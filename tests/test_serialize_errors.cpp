// serialize: damaged and hostile files give SerializeError naming the file, the entry and the
// reason; never a crash, a hang or a huge allocation.
#include <doctest/doctest.h>

#include <map>

#include "ember/serialize/serialize.h"
#include "ember/serialize/zip_reader.h"
#include "ember/serialize/zip_writer.h"
#include "tests/test_serialize_helpers.h"

using namespace ember;
using namespace std::string_literals;  // pickles hold NUL bytes: "..."s keeps them
using doctest::Contains;
using ember::test::fixture;
using ember::test::scratch;

namespace {

// A torch.save-shaped archive holding `pickle` as data.pkl and the given records.
std::string make_pt(const std::string& pickle, const std::map<std::string, std::string>& records = {}) {
  std::string bytes;
  serialize::ZipWriter zip([&](const void* p, std::size_t n) { bytes.append(static_cast<const char*>(p), n); });
  zip.add("archive/data.pkl", pickle.data(), pickle.size());
  for (const auto& [name, data] : records) zip.add("archive/" + name, data.data(), data.size());
  zip.add("archive/version", "3\n", 2);
  zip.finish();
  return bytes;
}

// Writes bytes to a scratch file and loads it.
Value load_bytes(const std::string& name, const std::string& bytes) {
  const std::string path = scratch(name);
  test::write_file(path, bytes);
  return load(path);
}

// The pickle of a one-tensor dict {'t': tensor(size, stride, offset) of FloatStorage numel}.
std::string tensor_pickle(int numel, const std::string& size_tuple) {
  return "\x80\x02}X\x01\x00\x00\x00t"s + "ctorch._utils\n_rebuild_tensor_v2\n(" +
         "(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x00" "0X\x03\x00\x00\x00" "cpuK"s +
         static_cast<char>(numel) + "tQK\x00"s + size_tuple + "\x89}tRs.";
}

}  // namespace

TEST_CASE("serialize errors: missing, empty and foreign files") {
  CHECK_THROWS_WITH_AS(load(scratch("does_not_exist.pt")), Contains("cannot open file"), SerializeError);
  CHECK_THROWS_WITH_AS(load_bytes("empty.pt", ""), Contains("not a PyTorch checkpoint"), SerializeError);
  CHECK_THROWS_WITH_AS(load_bytes("text.pt", "hello world, not a checkpoint"), Contains("not a PyTorch checkpoint"),
                       SerializeError);
  try {
    load(scratch("does_not_exist.pt"));
  } catch (const SerializeError& e) {
    CHECK(e.file() == scratch("does_not_exist.pt"));
  }
}

TEST_CASE("serialize errors: pickled models are refused with advice") {
  CHECK_THROWS_WITH_AS(load(fixture("pickled_model.pt")), Contains("holds a whole model (torch.save(model))"), SerializeError);
  CHECK_THROWS_WITH_AS(load(fixture("pickled_model.pt")), Contains("__main__.Net"), SerializeError);
  CHECK_THROWS_WITH_AS(load(fixture("pickled_model.pt")), Contains("ember::load_state_dict(path)"), SerializeError);
  // os.system by GLOBAL + REDUCE: refused at the GLOBAL, before anything could be called.
  CHECK_THROWS_WITH_AS(load_bytes("evil.pt", make_pt("\x80\x02\x63os\nsystem\nX\x02\x00\x00\x00lsR."s)),
                       Contains("global 'os.system'"), SerializeError);
}

TEST_CASE("serialize errors: truncated and corrupted .pt files") {
  const std::string good = test::read_file(fixture("state_dict.pt"));
  for (std::size_t cut : {good.size() - 1, good.size() - 30, good.size() / 2, std::size_t{100}, std::size_t{10}}) {
    CAPTURE(cut);
    CHECK_THROWS_AS(load_bytes("cut.pt", good.substr(0, cut)), SerializeError);
  }
  // One flipped bit in a storage record: the CRC names the record.
  std::string bad = good;
  serialize::ZipReader zip(reinterpret_cast<const std::uint8_t*>(good.data()), good.size(), "state_dict.pt");
  const std::size_t at = zip.find("state_dict/data/0")->data_offset + 5;
  bad[at] = static_cast<char>(bad[at] ^ 1);
  CHECK_THROWS_WITH_AS(load_bytes("crc.pt", bad), Contains("CRC-32 mismatch"), SerializeError);
  CHECK_THROWS_WITH_AS(load_bytes("crc.pt", bad), Contains("entry 'state_dict/data/0'"), SerializeError);
  // Every single-byte corruption of a small file fails cleanly or loads: never crashes.
  const std::string small = test::read_file(fixture("views.pt"));
  for (std::size_t i = 0; i < small.size(); i += 7) {
    std::string damaged = small;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x5A);
    try {
      load_bytes("flip.pt", damaged);
    } catch (const SerializeError&) {
    }
  }
}

TEST_CASE("serialize errors: hostile pickles") {
  CHECK_THROWS_WITH_AS(load_bytes("memo.pt", make_pt("\x80\x02h\x05.")), Contains("memo index 5 was never stored"),
                       SerializeError);
  CHECK_THROWS_WITH_AS(load_bytes("memo.pt", make_pt("\x80\x02h\x05.")), Contains("entry 'archive/data.pkl'"),
                       SerializeError);
  CHECK_THROWS_WITH_AS(load_bytes("nostop.pt", make_pt("\x80\x02K\x01")), Contains("without STOP"), SerializeError);
  CHECK_THROWS_WITH_AS(load_bytes("underflow.pt", make_pt("\x80\x02s.")), Contains("stack underflow"), SerializeError);
  CHECK_THROWS_WITH_AS(load_bytes("opcode.pt", make_pt("\x80\x02\xff.")), Contains("unsupported pickle opcode 0xff"),
                       SerializeError);
  CHECK_THROWS_WITH_AS(load_bytes("string.pt", make_pt("\x80\x02X\xf0\xff\xff\xff.")), Contains("runs past the end"),
                       SerializeError);
  CHECK_THROWS_WITH_AS(load_bytes("append.pt", make_pt("\x80\x02}K\x01" "a.")), Contains("APPEND to a dict"),
                       SerializeError);
  // 100000 nested lists: refused at the depth limit, no stack overflow.
  std::string deep = "\x80\x02" + std::string(100000, ']') + std::string(99999, 'a') + ".";
  CHECK_THROWS_WITH_AS(load_bytes("deep.pt", make_pt(deep)), Contains("nesting deeper than"), SerializeError);
  // A list holding itself: a cycle.
  CHECK_THROWS_AS(load_bytes("cycle.pt", make_pt("\x80\x02]q\x00h\x00" "a."s)), SerializeError);
  // x = [x0, x0] 64 times over: 2^64 nodes if expanded.
  std::string exp2 = "\x80\x02]q\x00"s;
  for (int i = 0; i < 64; ++i) exp2 += "](h\x00h\x00" "eq\x00"s;
  exp2 += ".";
  CHECK_THROWS_WITH_AS(load_bytes("blowup.pt", make_pt(exp2)), Contains("too many objects"), SerializeError);
}

TEST_CASE("serialize errors: storages that do not fit their tensors") {
  const std::string four_floats(16, '\0');
  // The persistent id claims 100 elements; the record holds 4.
  CHECK_THROWS_WITH_AS(load_bytes("short.pt", make_pt(tensor_pickle(100, "K\x04\x85K\x01\x85"), {{"data/0", four_floats}})),
                       Contains("entry 'archive/data/0'"), SerializeError);
  CHECK_THROWS_WITH_AS(load_bytes("short.pt", make_pt(tensor_pickle(100, "K\x04\x85K\x01\x85"), {{"data/0", four_floats}})),
                       Contains("holds 16 bytes, expected 100 float32 elements"), SerializeError);
  // The tensor (size 10) reaches past its 4-element storage.
  CHECK_THROWS_WITH_AS(load_bytes("view.pt", make_pt(tensor_pickle(4, "K\x0a\x85K\x01\x85"), {{"data/0", four_floats}})),
                       Contains("storage too short for its tensor"), SerializeError);
  // A stride that would overflow int64.
  CHECK_THROWS_AS(load_bytes("stride.pt", make_pt(tensor_pickle(4, "K\x02\x85\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f\x85"),
                                                  {{"data/0", four_floats}})),
                  SerializeError);
  CHECK_THROWS_WITH_AS(load_bytes("missing.pt", make_pt(tensor_pickle(4, "K\x04\x85K\x01\x85"))),
                       Contains("storage record missing"), SerializeError);
  // And the well-formed version of the same file loads.
  Value ok = load_bytes("ok.pt", make_pt(tensor_pickle(4, "K\x04\x85K\x01\x85"), {{"data/0", four_floats}}));
  CHECK(ok.at("t").as_tensor().shape() == Shape{4});
}

TEST_CASE("serialize errors: hostile zip structure") {
  std::string good = make_pt("\x80\x02N.");
  CHECK(load_bytes("none.pt", good).is_none());
  const std::size_t eocd = good.rfind("PK\x05\x06");
  const std::size_t cd = good.find("PK\x01\x02");
  REQUIRE(eocd != std::string::npos);
  REQUIRE(cd != std::string::npos);
  // A central directory offset beyond the file.
  std::string bad = good;
  bad[eocd + 19] = '\x7f';
  CHECK_THROWS_WITH_AS(load_bytes("cd.pt", bad), Contains("outside the archive"), SerializeError);
  // An entry count far beyond what the directory can hold.
  bad = good;
  bad[eocd + 10] = bad[eocd + 11] = bad[eocd + 8] = bad[eocd + 9] = '\x7f';
  CHECK_THROWS_AS(load_bytes("count.pt", bad), SerializeError);
  // The first entry claims 3 GB of data: outside the archive.
  bad = good;
  bad[cd + 20] = bad[cd + 24] = '\x00';
  bad[cd + 23] = bad[cd + 27] = '\xb0';
  CHECK_THROWS_WITH_AS(load_bytes("size.pt", bad), Contains("extends past the archive's data"), SerializeError);
  // A local header offset pointing into nowhere.
  bad = good;
  bad[cd + 45] = '\x70';
  CHECK_THROWS_WITH_AS(load_bytes("offset.pt", bad), Contains("local header"), SerializeError);
  // A stored entry relabelled deflate is not a deflate stream; other methods are refused by name.
  bad = good;
  bad[cd + 10] = 8;
  CHECK_THROWS_WITH_AS(load_bytes("deflate.pt", bad), Contains("the deflate stream is truncated"), SerializeError);
  bad[cd + 10] = 12;
  CHECK_THROWS_WITH_AS(load_bytes("bzip2.pt", bad), Contains("compression method 12 (bzip2) is not supported"),
                       SerializeError);
}

TEST_CASE("serialize errors: hostile safetensors") {
  auto st = [](const std::string& header, const std::string& data) {
    std::string out(8, '\0');
    for (int k = 0; k < 8; ++k) out[k] = static_cast<char>((header.size() >> (8 * k)) & 0xFF);
    return out + header + data;
  };
  const std::string eight(8, '\0');
  CHECK(load_bytes("ok.safetensors", st(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", eight))
            .at("a").as_tensor().shape() == Shape{2});
  // A header length of a terabyte.
  std::string huge = st("{}", "");
  huge[5] = 1;
  test::write_file(scratch("huge.safetensors"), huge);
  CHECK_THROWS_WITH_AS(load_safetensors(scratch("huge.safetensors")), Contains("exceeds 100000000"), SerializeError);
  auto bad = [&](const std::string& header, const std::string& data, const char* reason) {
    test::write_file(scratch("bad.safetensors"), st(header, data));
    CHECK_THROWS_WITH_AS(load_safetensors(scratch("bad.safetensors")), Contains(reason), SerializeError);
  };
  bad(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})", eight, "not valid JSON");
  bad(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
      eight, "names a tensor twice");
  bad(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", eight, "needs 12");
  bad(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", eight, "gap or overlap");
  bad(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
      eight, "gap or overlap");
  bad(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", eight, "truncated or padded");
  bad(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", eight, "truncated or padded");
  bad(R"({"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}})", eight, "not supported");
  bad(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}})", eight, "non-negative");
  bad(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}})", eight, "too large");
  bad(R"({"a":[[[[[[[[[[[[]]]]]]]]]]]]})", "", "nested too deeply");
  bad(R"({"__metadata__":{"k":1}})", "", "must be strings");
  bad("[1,2]", "", "must be a JSON object");
}
