// MetricsLog: CSV formatting and parsing, checkpoint state, atomic rewrites.
#include "ember/train/metrics.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ember::data {

namespace {

// One CSV row; %.9g round-trips a float32 and prints 0.8853 as "0.8853".
std::string csv_row(const EpochMetrics& row) {
  char line[256];
  std::snprintf(line, sizeof line, "%lld,%.9g,%.9g,%.9g,%.3f", static_cast<long long>(row.epoch),
                row.train_loss, row.test_loss, row.test_accuracy, row.seconds);
  return line;
}

}  // namespace

std::string metrics_csv(const std::vector<EpochMetrics>& rows) {
  std::string text = std::string(kMetricsCsvHeader) + "\n";
  for (const EpochMetrics& row : rows) text += csv_row(row) + "\n";
  return text;
}

std::vector<EpochMetrics> read_metrics_csv(const std::string& path) {
  std::ifstream in(path);
  check(in.good(), path, ": cannot open metrics file");
  std::string line;
  std::getline(in, line);
  check(line == kMetricsCsvHeader, path, ": line 1: expected the header '", kMetricsCsvHeader,
        "', found '", line, "'");
  std::vector<EpochMetrics> rows;
  for (int number = 2; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    EpochMetrics row;
    long long epoch = 0;
    int consumed = 0;
    const int fields = std::sscanf(line.c_str(), "%lld,%lf,%lf,%lf,%lf%n", &epoch, &row.train_loss,
                                   &row.test_loss, &row.test_accuracy, &row.seconds, &consumed);
    check(fields == 5 && static_cast<std::size_t>(consumed) == line.size(), path, ": line ",
          number, ": expected 5 comma-separated numbers, found '", line, "'");
    row.epoch = epoch;
    rows.push_back(row);
  }
  return rows;
}

void write_text_file(const std::string& path, const std::string& text) {
  // Write a temporary file next to path, then rename() it over path: atomic on POSIX, so a
  // reader (or a process killed mid-write) sees the old file or the new one, never half.
  const std::string temp = path + ".tmp-" + std::to_string(getpid());
  std::FILE* file = std::fopen(temp.c_str(), "wb");
  check(file != nullptr, path, ": cannot write: ", std::strerror(errno));
  const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  const int saved_errno = errno;
  const bool closed = std::fclose(file) == 0;
  if (!written || !closed || std::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = !written ? saved_errno : errno;
    std::remove(temp.c_str());
    check(false, path, ": cannot write: ", std::strerror(error));
  }
}

MetricsLog::MetricsLog(std::string path) : path_(std::move(path)) {}

void MetricsLog::append(const EpochMetrics& row) {
  check(rows_.empty() || row.epoch > rows_.back().epoch, "MetricsLog::append: epoch ", row.epoch,
        " does not follow the last logged epoch ", rows_.empty() ? 0 : rows_.back().epoch,
        " (epochs must increase)");
  rows_.push_back(row);
  write();
}

void MetricsLog::write() const {
  if (!path_.empty()) write_text_file(path_, metrics_csv(rows_));
}

Value MetricsLog::state() const {
  Value list = Value::list();
  for (const EpochMetrics& row : rows_) {
    list.append(Value{{"epoch", row.epoch},
                      {"train_loss", row.train_loss},
                      {"test_loss", row.test_loss},
                      {"test_accuracy", row.test_accuracy},
                      {"seconds", row.seconds}});
  }
  return list;
}

void MetricsLog::load_state(const Value& state) {
  check(state.is_sequence(), "MetricsLog::load_state: expected a list of rows from "
        "MetricsLog::state(), found ", state.kind_name());
  std::vector<EpochMetrics> rows;
  for (const Value& item : state.items()) {
    rows.push_back({item.at("epoch").as_int(), item.at("train_loss").as_double(),
                    item.at("test_loss").as_double(), item.at("test_accuracy").as_double(),
                    item.at("seconds").as_double()});
  }
  rows_ = std::move(rows);
  write();
}

}  // namespace ember::data
