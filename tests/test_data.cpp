// Tests for data/: IDX and CIFAR-10 readers, TensorDataset, DataLoader (batches, shuffling,
// saved position), ProgressBar, MetricsLog and the SVG plot.
#include <doctest/doctest.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "ember/data/cifar10.h"
#include "ember/data/data_loader.h"
#include "ember/data/idx.h"
#include "ember/train/metrics.h"
#include "ember/train/plot.h"
#include "ember/train/progress.h"
#include "ember/serialize/serialize.h"
#include "ember/tensor/factories.h"

using namespace ember;
using namespace ember::data;
using Bytes = std::vector<std::uint8_t>;

namespace {

// A fresh, empty folder under the build directory for one test's files.
std::string temp_dir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(EMBER_BINARY_DIR) / "test_data_files" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

void write_file(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void write_gzip(const std::string& path, const Bytes& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  REQUIRE(file != nullptr);
  REQUIRE(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  gzclose(file);
}

Bytes read_raw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void put_u32(Bytes& bytes, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<std::uint8_t>(value >> shift));
}

// An IDX file of unsigned bytes: magic 0x000008nn, big-endian dims, then payload.
Bytes idx_file(const std::vector<std::uint32_t>& dims, const Bytes& payload) {
  Bytes bytes;
  put_u32(bytes, 0x00000800u | static_cast<std::uint32_t>(dims.size()));
  for (std::uint32_t d : dims) put_u32(bytes, d);
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  return bytes;
}

// 3 images of 2x2 pixels (pixel k of image i is 40 * i + k) and their labels 7, 0, 9.
const Bytes kPixels = {0, 1, 2, 3, 40, 41, 42, 43, 80, 81, 82, 255};
const Bytes kLabels = {7, 0, 9};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// inputs (n,2): row i is (i, -i); targets i % 3.
TensorDataset counting_dataset(std::int64_t n) {
  std::vector<double> values;
  std::vector<std::int64_t> targets;
  for (std::int64_t i = 0; i < n; ++i) {
    values.push_back(static_cast<double>(i));
    values.push_back(-static_cast<double>(i));
    targets.push_back(i % 3);
  }
  return TensorDataset(tensor(values, {n, 2}), tensor_int64(targets, {n}));
}

// The dataset indices of a batch of counting_dataset (its first column).
std::vector<std::int64_t> ids(const Batch& batch) {
  std::vector<std::int64_t> out;
  for (float v : batch.input.select(1, 0).to_vector<float>()) out.push_back(static_cast<std::int64_t>(v));
  return out;
}

// Every remaining batch of the loader's current epoch, then `epochs` whole epochs more.
std::vector<std::vector<std::int64_t>> drain(DataLoader& loader, int epochs) {
  std::vector<std::vector<std::int64_t>> batches;
  for (int e = 0; e <= epochs; ++e) {
    if (e > 0 || loader.in_epoch()) {
      while (auto batch = loader.next()) batches.push_back(ids(*batch));
      batches.push_back({-1});  // epoch boundary marker
    }
  }
  return batches;
}

}  // namespace

TEST_CASE("idx: load_mnist reads plain and gzipped IDX files") {
  const std::string dir = temp_dir("idx_ok");
  write_file(dir + "/train-images-idx3-ubyte", idx_file({3, 2, 2}, kPixels));
  write_gzip(dir + "/train-labels-idx1-ubyte.gz", idx_file({3}, kLabels));

  const TensorDataset raw = load_mnist(dir, /*train=*/true, std::nullopt);
  CHECK(raw.size() == 3);
  CHECK(raw.inputs().shape() == Shape{3, 1, 2, 2});
  CHECK(raw.inputs().dtype() == kFloat32);
  CHECK(raw.targets().to_vector<std::int64_t>() == std::vector<std::int64_t>{7, 0, 9});
  const auto pixels = raw.inputs().to_vector<float>();
  for (std::size_t k = 0; k < kPixels.size(); ++k) CHECK(pixels[k] == static_cast<float>(kPixels[k]) / 255.0f);

  // The default transform: Fashion-MNIST's mean and std, in float32 as torchvision computes.
  const TensorDataset normalized = load_mnist(dir, true);
  const auto values = normalized.inputs().to_vector<float>();
  for (std::size_t k = 0; k < kPixels.size(); ++k) {
    const float scaled = static_cast<float>(kPixels[k]) / 255.0f;
    CHECK(values[k] == (scaled - static_cast<float>(kFashionMnistMean)) / static_cast<float>(kFashionMnistStd));
  }
  CHECK(normalized.get(2).target == 9);
  CHECK(normalized.get(2).input.shape() == Shape{1, 2, 2});
}

TEST_CASE("idx: damaged or missing files give messages naming the file") {
  const std::string dir = temp_dir("idx_bad");
  const std::string images = dir + "/t10k-images-idx3-ubyte.gz";
  const std::string labels = dir + "/t10k-labels-idx1-ubyte";

  CHECK_THROWS_WITH_AS(load_mnist(dir, false), (dir + "/t10k-images-idx3-ubyte.gz: not found (nor " + dir +
                                                "/t10k-images-idx3-ubyte); expected the four MNIST/Fashion-MNIST "
                                                "IDX files in " + dir).c_str(),
                       Error);

  write_file(labels, idx_file({3}, kLabels));
  // Truncated pixels, in a gzip file whose stream is intact.
  write_gzip(images, idx_file({3, 2, 2}, Bytes(kPixels.begin(), kPixels.begin() + 5)));
  CHECK_THROWS_WITH_AS(load_mnist(dir, false), (images + ": truncated: expected 12 bytes of pixels, found 5").c_str(),
                       Error);

  // The brief's example: a gzip file cut short after the header, as an interrupted download.
  Bytes big(60000 * 28 * 28);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 2654435761u >> 24);
  write_gzip(images, idx_file({60000, 28, 28}, big));
  Bytes gz = read_raw(images);
  gz.resize(gz.size() / 3);
  write_file(images, gz);
  const std::string cut = error_of([&] { load_mnist(dir, false); });
  CHECK(cut.rfind(images + ": truncated: expected 47040000 bytes of pixels, found ", 0) == 0);

  // A labels file where the images belong: the magic number says so.
  write_gzip(images, idx_file({3}, kLabels));
  CHECK_THROWS_WITH_AS(load_mnist(dir, false),
                       (images + ": not an IDX file of pixels: expected magic number 0x00000803 "
                                 "(unsigned bytes, 3 dimensions), found 0x00000801").c_str(),
                       Error);

  // Not gzip and not IDX at all.
  write_file(images, {'h', 'e', 'l', 'l', 'o', '\n'});
  CHECK_THROWS_WITH_AS(load_mnist(dir, false),
                       (images + ": not an IDX file of pixels: expected magic number 0x00000803 "
                                 "(unsigned bytes, 3 dimensions), found 0x68656c6c").c_str(),
                       Error);

  Bytes header_only = idx_file({3, 2, 2}, {});
  header_only.resize(10);
  write_gzip(images, header_only);
  CHECK_THROWS_WITH_AS(load_mnist(dir, false),
                       (images + ": truncated: expected an IDX header of 16 bytes, found 10").c_str(), Error);

  Bytes extra = kPixels;
  extra.push_back(1);
  write_gzip(images, idx_file({3, 2, 2}, extra));
  CHECK_THROWS_WITH_AS(load_mnist(dir, false),
                       (images + ": expected 12 bytes of pixels, found 13 (1 bytes too many)").c_str(), Error);

  // Counts that disagree name both files.
  write_gzip(images, idx_file({3, 2, 2}, kPixels));
  write_file(labels, idx_file({2}, {1, 2}));
  CHECK_THROWS_WITH_AS(load_mnist(dir, false),
                       ("load_mnist: " + images + " has 3 images but " + labels + " has 2 labels").c_str(), Error);

  // Corrupt compressed data (a valid gzip header, garbage after it).
  write_gzip(images, idx_file({3, 2, 2}, kPixels));
  gz = read_raw(images);
  for (std::size_t i = 12; i < gz.size() - 8; ++i) gz[i] = 0xff;
  write_file(images, gz);
  CHECK(error_of([&] { load_mnist(dir, false); }).rfind(images + ": damaged gzip data: ", 0) == 0);
}

TEST_CASE("cifar: records parse into (N,3,32,32) images and labels") {
  const std::string dir = temp_dir("cifar");
  // Record r: label r % 10; pixel (c, y, x) = (r + c * 7 + y * 3 + x) % 256.
  const auto records = [](int first, int count) {
    Bytes bytes;
    for (int r = first; r < first + count; ++r) {
      bytes.push_back(static_cast<std::uint8_t>(r % 10));
      for (int c = 0; c < 3; ++c)
        for (int y = 0; y < 32; ++y)
          for (int x = 0; x < 32; ++x) bytes.push_back(static_cast<std::uint8_t>((r + c * 7 + y * 3 + x) % 256));
    }
    return bytes;
  };
  write_file(dir + "/test_batch.bin", records(0, 3));
  const TensorDataset test = load_cifar10(dir, /*train=*/false);
  CHECK(test.inputs().shape() == Shape{3, 3, 32, 32});
  CHECK(test.targets().to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 2});
  CHECK(test.inputs().at({2, 1, 4, 5}) == doctest::Approx((2 + 7 + 12 + 5) / 255.0));
  CHECK(test.inputs().at({0, 2, 31, 31}) == doctest::Approx((14 + 93 + 31) / 255.0));

  // Several files concatenate in order; the normalization is per channel.
  write_file(dir + "/a.bin", records(0, 2));
  write_gzip(dir + "/b.bin.gz", records(2, 1));
  const TensorDataset both = read_cifar10({dir + "/a.bin", dir + "/b.bin.gz"}, cifar10_normalize());
  CHECK(both.size() == 3);
  const float scaled = static_cast<float>((2 + 14 + 0 + 0) % 256) / 255.0f;
  CHECK(both.inputs().at({2, 2, 0, 0}) ==
        static_cast<float>((scaled - static_cast<float>(kCifar10Mean[2])) / static_cast<float>(kCifar10Std[2])));

  Bytes partial = records(0, 2);
  partial.resize(partial.size() - 100);
  write_file(dir + "/partial.bin", partial);
  CHECK_THROWS_WITH_AS(read_cifar10({dir + "/partial.bin"}),
                       (dir + "/partial.bin: truncated: expected a whole number of 3073-byte records, found "
                              "6046 bytes (1 records and 2973 bytes of a partial one)").c_str(),
                       Error);
  Bytes bad_label = records(0, 2);
  bad_label[3073] = 10;
  write_file(dir + "/bad_label.bin", bad_label);
  CHECK_THROWS_WITH_AS(read_cifar10({dir + "/bad_label.bin"}),
                       (dir + "/bad_label.bin: record 1 has label 10, expected a class index in 0..9").c_str(), Error);
  CHECK_THROWS_WITH_AS(load_cifar10(dir, true),
                       (dir + "/data_batch_1.bin: not found; expected the files of the CIFAR-10 binary version "
                              "(cifar-10-batches-bin) in " + dir).c_str(),
                       Error);
}

TEST_CASE("DataLoader: batch sizes, drop_last and epochs") {
  const TensorDataset data = counting_dataset(10);
  DataLoader loader(data, {4});
  CHECK(loader.num_batches() == 3);
  std::vector<std::int64_t> sizes;
  while (auto batch = loader.next()) {
    sizes.push_back(batch->size());
    CHECK(batch->input.shape() == Shape{batch->size(), 2});
    CHECK(batch->target.dtype() == kInt64);
  }
  CHECK(sizes == std::vector<std::int64_t>{4, 4, 2});
  CHECK(loader.epoch() == 1);
  CHECK_FALSE(loader.in_epoch());
  // Without shuffling, batches follow the dataset; the next call starts epoch 2.
  auto first = loader.next();
  CHECK(ids(*first) == std::vector<std::int64_t>{0, 1, 2, 3});
  CHECK(first->target.to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 2, 0});
  CHECK(loader.batches_done() == 1);

  DataLoader dropping(data, {4, false, /*drop_last=*/true});
  CHECK(dropping.num_batches() == 2);
  int count = 0;
  while (auto batch = dropping.next()) {
    CHECK(batch->size() == 4);
    ++count;
  }
  CHECK(count == 2);

  CHECK_THROWS_WITH_AS(DataLoader(data, {0}), "DataLoader: batch_size should be a positive integer, found 0", Error);
}

TEST_CASE("DataLoader: shuffling is a permutation per epoch, reproducible from the seed") {
  const TensorDataset data = counting_dataset(23);
  Generator g1(42), g2(42), g3(43);
  DataLoader a(data, {5, true}, &g1), b(data, {5, true}, &g2), c(data, {5, true}, &g3);
  const auto epochs_a = drain(a, 3);
  CHECK(epochs_a == drain(b, 3));
  CHECK(epochs_a != drain(c, 3));

  std::vector<std::vector<std::int64_t>> orders(1);
  for (const auto& batch : epochs_a) {
    if (batch == std::vector<std::int64_t>{-1}) {
      std::set<std::int64_t> seen(orders.back().begin(), orders.back().end());
      CHECK(seen.size() == 23);  // every example exactly once
      CHECK(*seen.begin() == 0);
      CHECK(*seen.rbegin() == 22);
      orders.emplace_back();
    } else {
      orders.back().insert(orders.back().end(), batch.begin(), batch.end());
    }
  }
  CHECK(orders.size() == 4);
  CHECK(orders[0] != orders[1]);
  CHECK(orders[1] != orders[2]);
}

TEST_CASE("DataLoader: a saved position resumes with identical batches") {
  const TensorDataset data = counting_dataset(23);
  for (const bool mid_epoch : {true, false}) {
    CAPTURE(mid_epoch);
    Generator generator(7);
    DataLoader loader(data, {4, true, true}, &generator);
    drain(loader, 1);  // epoch 0
    if (mid_epoch) {
      loader.next();
      loader.next();
    }
    const Value saved = loader.state();
    const Tensor saved_generator = generator.get_state();
    CHECK(saved.at("epoch").as_int() == 1);
    CHECK(saved.at("batch").as_int() == (mid_epoch ? 2 : 0));
    CHECK(saved.contains("epoch_generator_state") == mid_epoch);
    const auto expected = drain(loader, 2);

    // A new process: other seed, fresh loader, then the restored generator and position.
    Generator restored_generator(12345);
    DataLoader restored(data, {4, true, true}, &restored_generator);
    // Through a checkpoint file, as a training program stores it.
    const std::string path = temp_dir("loader_state") + "/checkpoint.pt";
    ember::save(Value{{"loader", saved}, {"generator", saved_generator}}, path);
    const Value checkpoint = ember::load(path);
    restored_generator.set_state(checkpoint.at("generator").as_tensor());
    restored.load_state(checkpoint.at("loader"));
    CHECK(restored.epoch() == 1);
    CHECK(restored.batches_done() == (mid_epoch ? 2 : 0));
    CHECK(drain(restored, 2) == expected);
  }

  Generator generator(7);
  DataLoader loader(data, {4, true}, &generator);
  DataLoader other_batch(data, {5, true}, &generator);
  CHECK_THROWS_WITH_AS(other_batch.load_state(loader.state()),
                       "DataLoader::load_state: the state was saved with batch_size = 4, this loader has "
                       "batch_size = 5",
                       Error);
  const TensorDataset smaller = counting_dataset(20);
  DataLoader other_data(smaller, {4, true}, &generator);
  CHECK_THROWS_WITH_AS(other_data.load_state(loader.state()),
                       "DataLoader::load_state: the state was saved with dataset_size = 23, this loader has "
                       "dataset_size = 20",
                       Error);
}

TEST_CASE("DataLoader: the default Dataset::get_batch stacks get(i)") {
  // A dataset computed on the fly: example i is the 2x3 tensor filled with i.
  struct Filled : Dataset {
    std::int64_t size() const override { return 7; }
    Example get(std::int64_t i) const override { return {full({2, 3}, static_cast<double>(i)), 6 - i}; }
  } filled;
  DataLoader loader(filled, {3});
  loader.next();
  const auto batch = loader.next();
  CHECK(batch->input.shape() == Shape{3, 2, 3});
  CHECK(batch->input.at({1, 1, 2}) == 4.0);
  CHECK(batch->target.to_vector<std::int64_t>() == std::vector<std::int64_t>{3, 2, 1});
  CHECK_THROWS_WITH_AS(filled.get_batch({1, 7}),
                       "Dataset::get_batch: index 7 is out of range for a dataset of 7 examples", Error);
  CHECK_THROWS_WITH_AS(counting_dataset(4).get_batch({-1}),
                       "TensorDataset::get_batch: index -1 is out of range for a dataset of 4 examples", Error);
  CHECK_THROWS_WITH_AS(TensorDataset(zeros({3, 2}), zeros({3})),
                       "TensorDataset: expected targets of shape (N) and dtype int64, found shape (3,) and dtype "
                       "float32",
                       Error);
}

TEST_CASE("metrics: the CSV keeps every row across a resume") {
  const std::string dir = temp_dir("metrics");
  const std::string path = dir + "/metrics.csv";
  MetricsLog log(path);
  log.append({1, 0.6123456789, 0.45, 0.8353, 12.3456});
  log.append({2, 0.4, 0.41, 0.85, 11.0});
  CHECK(read_text(path) ==
        "epoch,train_loss,test_loss,test_accuracy,seconds\n"
        "1,0.612345679,0.45,0.8353,12.346\n"
        "2,0.4,0.41,0.85,11.000\n");

  // Resume from a checkpoint taken after epoch 1, while the file already has epoch 2.
  Value checkpoint_rows = MetricsLog().state();
  {
    MetricsLog at_epoch_1;
    at_epoch_1.append(log.rows()[0]);
    checkpoint_rows = at_epoch_1.state();
  }
  CHECK(checkpoint_rows.size() == 1);
  CHECK(checkpoint_rows.items()[0].at("test_accuracy").as_double() == 0.8353);
  MetricsLog resumed(path);
  resumed.load_state(checkpoint_rows);
  CHECK(read_text(path) ==
        "epoch,train_loss,test_loss,test_accuracy,seconds\n"
        "1,0.612345679,0.45,0.8353,12.346\n");
  resumed.append({2, 0.39, 0.4, 0.86, 10.5});
  const auto rows = read_metrics_csv(path);
  REQUIRE(rows.size() == 2);
  CHECK(rows[1].epoch == 2);
  CHECK(rows[1].test_accuracy == 0.86);
  CHECK(rows[0].train_loss == 0.612345679);

  CHECK_THROWS_WITH_AS(resumed.append({2, 0, 0, 0, 0}),
                       "MetricsLog::append: epoch 2 does not follow the last logged epoch 2 (epochs must increase)",
                       Error);
  CHECK_THROWS_WITH_AS(MetricsLog(dir + "/no/such/dir/m.csv").append({1, 0, 0, 0, 0}),
                       (dir + "/no/such/dir/m.csv: cannot write: No such file or directory").c_str(), Error);
  write_file(dir + "/bad.csv", {'e', 'p', 'o', 'c', 'h', '\n'});
  CHECK_THROWS_WITH_AS(read_metrics_csv(dir + "/bad.csv"),
                       (dir + "/bad.csv: line 1: expected the header 'epoch,train_loss,test_loss,test_accuracy,"
                              "seconds', found 'epoch'").c_str(),
                       Error);
}

TEST_CASE("metrics: the SVG plot is well formed, with one point per epoch") {
  std::vector<EpochMetrics> rows;
  for (int e = 1; e <= 5; ++e) rows.push_back({e, 1.0 / e, 1.2 / e, 0.8 + 0.01 * e, 10.0});
  const std::string svg = metrics_svg(rows, {"LeNet <Fashion-MNIST>"});
  CHECK(svg.find("<svg") != std::string::npos);
  CHECK(svg.find("LeNet &lt;Fashion-MNIST&gt;") != std::string::npos);
  for (const char* label : {">epoch<", ">loss<", ">accuracy<", ">train loss<", ">test loss<", ">test accuracy<"}) {
    CHECK(svg.find(label) != std::string::npos);
  }

  // Three polylines of five points each.
  int polylines = 0;
  for (std::size_t at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) {
    const std::size_t begin = svg.find("points=\"", at) + 8;
    const std::string points = svg.substr(begin, svg.find('"', begin) - begin);
    std::istringstream in(points);
    std::string point;
    int count = 0;
    while (in >> point) {
      CHECK(point.find(',') != std::string::npos);
      ++count;
    }
    CHECK(count == 5);
    ++polylines;
  }
  CHECK(polylines == 3);

  // Well formed: every element closes, in order, and the document is the one svg element.
  std::vector<std::string> open;
  std::size_t elements = 0;
  for (std::size_t at = svg.find('<'); at != std::string::npos; at = svg.find('<', at + 1)) {
    const std::size_t end = svg.find('>', at);
    REQUIRE(end != std::string::npos);
    const std::string tag = svg.substr(at + 1, end - at - 1);
    if (tag[0] == '?') continue;
    if (tag[0] == '/') {
      REQUIRE_FALSE(open.empty());
      CHECK(open.back() == tag.substr(1));
      open.pop_back();
    } else {
      CHECK(svg.substr(at + 1, end - at).find('<') == std::string::npos);
      if (tag.back() != '/') open.push_back(tag.substr(0, tag.find_first_of(" \n")));
      CHECK((elements++ > 0 || tag.rfind("svg ", 0) == 0));
    }
  }
  CHECK(open.empty());

  const std::string dir = temp_dir("plot");
  write_metrics_svg(dir + "/plot.svg", rows);
  CHECK(read_text(dir + "/plot.svg") == metrics_svg(rows));
  CHECK(metrics_svg({}).find("</svg>") != std::string::npos);  // empty axes, no crash
}

TEST_CASE("progress: plain lines every interval, a summary at the end") {
  std::ostringstream out;
  double now = 100.0;
  ProgressOptions options;
  options.label = "epoch 1/2";
  options.out = &out;
  options.interval_seconds = 5.0;
  options.clock = [&] { return now; };
  ProgressBar progress(10, options);
  CHECK(out.str().empty());  // not a terminal: nothing until the first interval has passed
  for (int i = 0; i < 10; ++i) {
    now += 1.0;
    progress.update(32, 1.0 - 0.05 * i);
  }
  CHECK(out.str() ==
        "epoch 1/2: 5/10 batches, 32 samples/s, loss 0.9000, ETA 0:05\n"
        "epoch 1/2: 10/10 batches, 32 samples/s, loss 0.7750, ETA 0:00\n");
  CHECK(progress.mean_loss() == doctest::Approx(0.775));
  progress.finish(", test loss 0.5000, test accuracy 0.8100");
  CHECK(out.str().substr(out.str().rfind("epoch")) ==
        "epoch 1/2: 10/10 batches in 10.0 s, 32 samples/s, train loss 0.7750, test loss 0.5000, test accuracy "
        "0.8100\n");
  CHECK_THROWS_WITH_AS(progress.update(1, 0.0), "ProgressBar::update: the bar is finished", Error);
  CHECK(ProgressBar::format_duration(3725) == "1:02:05");
}

TEST_CASE("progress: a terminal redraws one line with carriage returns") {
  std::ostringstream out;
  double now = 0.0;
  ProgressOptions options;
  options.out = &out;
  options.terminal = true;
  options.bar_width = 10;
  options.clock = [&] { return now; };
  ProgressBar progress(4, options);
  now = 1.0;
  progress.update(8, 0.5);
  const std::string text = out.str();
  CHECK(text.find('\n') == std::string::npos);
  CHECK(text.substr(text.rfind('\r')) == "\r[=>        ] 1/4  8 samples/s  loss 0.5000  ETA 0:03");
  progress.finish();
  CHECK(out.str().back() == '\n');
}

TEST_CASE("idx: Fashion-MNIST as installed by Debian's dataset-fashion-mnist") {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(dir)) {
    MESSAGE("skipped: " << dir << " is not installed");
    return;
  }
  const TensorDataset train = load_mnist(dir, true);
  const TensorDataset test = load_mnist(dir, false);
  CHECK(train.size() == 60000);
  CHECK(test.size() == 10000);
  CHECK(train.inputs().shape() == Shape{60000, 1, 28, 28});
  CHECK(std::abs(train.inputs().mean().item()) < 0.01);
  CHECK(train.targets().max().item() == 9);
}
