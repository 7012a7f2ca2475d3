// serialize: files PyTorch wrote read back with the values torch.load gives, and ember's own
// files read back unchanged (views stay views, every dtype, 0-d and empty tensors).
#include <doctest/doctest.h>

#include <algorithm>

#include "ember/serialize/serialize.h"
#include "ember/tensor/factories.h"
#include "tests/test_serialize_helpers.h"

using namespace ember;
using ember::test::check_matches;
using ember::test::fixture;
using ember::test::scratch;

TEST_CASE("serialize: PyTorch-made files load with torch.load's values") {
  const nlohmann::json expected = test::expected_json();
  for (const char* name : {"state_dict", "optimizer", "checkpoint", "dtypes", "views", "parameter", "protocol4"}) {
    SUBCASE(name) {
      Value v = load(fixture(std::string(name) + ".pt"));
      check_matches(v, expected[name], name);
    }
  }
  SUBCASE("tensors.safetensors") {
    std::map<std::string, std::string> metadata;
    Value v = load_safetensors(fixture("tensors.safetensors"), &metadata);
    nlohmann::json e = expected["tensors"];
    e.erase("ordered");  // safetensors has no OrderedDict
    check_matches(v, e, "tensors");
    CHECK(metadata == std::map<std::string, std::string>{{"format", "pt"}, {"note", "ember"}});
    check_matches(load(fixture("tensors.safetensors")), e, "tensors via load()");
  }
}

TEST_CASE("serialize: tensors sharing a storage load as views of one Storage") {
  Value v = load(fixture("views.pt"));
  const Tensor& base = v.at("base").as_tensor();
  for (const char* name : {"row", "tail", "t", "col", "every_other"}) {
    CHECK(v.at(name).as_tensor().storage() == base.storage());
  }
  CHECK(v.at("base_again").as_tensor().is_same(base));  // the memo: the same object, not a copy
}

TEST_CASE("serialize: ember's files read back unchanged") {
  Tensor base = arange(0, 12, 1, kFloat32).view({3, 4});
  Value state = Value::ordered_dict();
  state.set("weight", base);
  state.set("col", base.select(1, 2));  // non-contiguous view at an offset
  state.set("t", base.t());
  state.set("steps", tensor_int64({3}));
  state.set("scalar", scalar_tensor(1.5, kFloat64));
  state.set("empty", zeros({0, 4}));
  Value metadata = Value::ordered_dict();
  metadata.set("", Value{{"version", 1}});
  state.set_metadata(metadata);
  Value checkpoint{{"epoch", 7},
                   {"model_state_dict", state},
                   {"loss", 0.125},
                   {"big", static_cast<long long>(-(std::int64_t{1} << 40))},
                   {"misc", Value::list({Value(), true, "text", Value::tuple({1, 2, 3, 4})})}};
  const std::string path = scratch("roundtrip.pt");
  save(checkpoint, path);
  Value back = load(path);
  CHECK(back.at("epoch").as_int() == 7);
  CHECK(back.at("loss").as_double() == 0.125);
  CHECK(back.at("big").as_int() == -(std::int64_t{1} << 40));
  const Value& sd = back.at("model_state_dict");
  CHECK(sd.is_ordered_dict());
  CHECK(sd.metadata().at("").at("version").as_int() == 1);
  const Tensor& w = sd.at("weight").as_tensor();
  CHECK(w.to_vector<double>() == base.to_vector<double>());
  CHECK(sd.at("col").as_tensor().storage() == w.storage());
  CHECK(sd.at("col").as_tensor().storage_offset() == 2);
  CHECK(sd.at("col").as_tensor().to_vector<double>() == std::vector<double>{2, 6, 10});
  CHECK(sd.at("t").as_tensor().strides() == Shape{1, 4});
  CHECK(sd.at("steps").as_tensor().dtype() == kInt64);
  CHECK(sd.at("scalar").as_tensor().dim() == 0);
  CHECK(sd.at("scalar").as_tensor().item() == 1.5);
  CHECK(sd.at("empty").as_tensor().shape() == Shape{0, 4});
  const Value& misc = back.at("misc");
  CHECK(misc.items()[0].is_none());
  CHECK(misc.items()[1].as_bool());
  CHECK(misc.items()[2].as_string() == "text");
  CHECK(misc.items()[3].is_tuple());
  CHECK(misc.items()[3].size() == 4);
}

TEST_CASE("serialize: every dtype round-trips through .pt and .safetensors") {
  Value tensors = Value::dict();
  for (Dtype d : {kFloat32, kFloat64, kFloat16, kBFloat16, kInt64, kInt32, kInt16, kInt8, kUInt8, kBool}) {
    tensors.set(dtype_name(d), arange(0, 5, 1, kInt64).to(d));
  }
  for (const char* ext : {".pt", ".safetensors"}) {
    const std::string path = scratch(std::string("dtypes") + ext);
    if (std::string(ext) == ".pt") save(tensors, path);
    else save_safetensors(tensors, path);
    Value back = load(path);
    for (std::size_t k = 0; k < tensors.size(); ++k) {
      const Tensor& t = back.at(tensors.keys()[k]).as_tensor();
      CHECK(t.dtype() == tensors.values()[k].as_tensor().dtype());
      CHECK(t.to_vector<double>() == tensors.values()[k].as_tensor().to_vector<double>());
    }
  }
}

TEST_CASE("serialize: save is atomic and leaves no temporary file behind") {
  const std::string path = scratch("atomic.pt");
  save(Value{{"a", 1}}, path);
  save(Value{{"a", 2}}, path);
  CHECK(load(path).at("a").as_int() == 2);
  // Saving something unsaveable fails before the destination is touched.
  CHECK_THROWS_AS(save(Value{{"a", Tensor()}}, path), SerializeError);
  CHECK(load(path).at("a").as_int() == 2);
}

TEST_CASE("serialize: zip64 records (forced on a small file) read back") {
  SaveOptions options;
  options.force_zip64 = true;
  Value v{{"w", arange(0, 10, 1, kFloat32)}, {"n", 3}};
  const std::string path = scratch("zip64.pt");
  save(v, path, options);
  const std::string bytes = test::read_file(path);
  CHECK(bytes.find("PK\x06\x06") != std::string::npos);  // the zip64 end record
  Value back = load(path);
  CHECK(back.at("w").as_tensor().to_vector<double>() == v.at("w").as_tensor().to_vector<double>());
  CHECK(back.at("n").as_int() == 3);
}

TEST_CASE("serialize: files larger than the 8 MiB writeback chunk read back exactly") {
  // 5.25M float32 (21 MB) written in several write/sync_file_range steps, one chunk ending
  // mid-tensor, followed by more records: every byte must land where the zip says it is.
  const std::int64_t n = (std::int64_t{21} << 20) / 4;
  Tensor big = arange(0, static_cast<double>(n), 1, kFloat32);
  Value v{{"big", big}, {"small", arange(0, 7, 1, kFloat64)}, {"step", 12}};
  for (bool durable : {true, false}) {
    CAPTURE(durable);
    SaveOptions options;
    options.durable = durable;
    const std::string path = scratch("big.pt");
    save(v, path, options);
    Value back = load(path);
    const Tensor b = back.at("big").as_tensor();
    REQUIRE(b.numel() == n);
    CHECK(std::equal(b.data_ptr<float>(), b.data_ptr<float>() + n, big.data_ptr<float>()));
    CHECK(back.at("small").as_tensor().to_vector<double>() == v.at("small").as_tensor().to_vector<double>());
    CHECK(back.at("step").as_int() == 12);

    const std::string st = scratch("big.safetensors");
    save_safetensors(Value{{"big", big}}, st, {}, options);
    const Tensor s = load_safetensors(st).at("big").as_tensor();
    REQUIRE(s.numel() == n);
    CHECK(std::equal(s.data_ptr<float>(), s.data_ptr<float>() + n, big.data_ptr<float>()));
  }
}

TEST_CASE("python_repr prints a loaded value as Python's repr does") {
  Value group = Value::dict();
  group.set("lr", 0.0001);
  group.set("nesterov", false);
  group.set("params", Value::list({0, 1}));
  group.set("eps", 1e-08);
  group.set("name", "sgd");
  group.set("none", Value());
  group.set("pair", Value::tuple({1}));
  CHECK(python_repr(group) ==
        "{'lr': 0.0001, 'nesterov': False, 'params': [0, 1], 'eps': 1e-08, 'name': 'sgd', 'none': None, "
        "'pair': (1,)}");
  Value state = Value::dict_from({std::int64_t{3}}, {Value(arange(0, 2, 1, kFloat32))});
  CHECK(python_repr(state) == "{3: tensor([0., 1.])}");
  CHECK(python_repr(state, [](const Tensor& t) { return std::string(dtype_name(t.dtype())); }) ==
        "{3: float32}");
  CHECK(python_repr(Value::tuple({1, 2.5})) == "(1, 2.5)");
}
