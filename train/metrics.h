// MetricsLog: one row per epoch (losses, accuracy, time) kept in memory and in a CSV file
// with the header
//   epoch,train_loss,test_loss,test_accuracy,seconds
// that spreadsheets, pandas and plot_metrics_svg read.
//
// Resuming. The rows live in the checkpoint (state() / load_state()), and the file is always
// rewritten whole from them (atomically: a temporary file renamed over the old one). So after
// a resume the CSV holds exactly the epochs the checkpoint knows, plus the ones trained
// since; a row written for an epoch that finished after the last checkpoint (the process was
// killed between the two) is dropped and written again when that epoch is retrained.
//
//   data::MetricsLog metrics(args.metrics_path);
//   if (resuming) metrics.load_state(checkpoint.at("metrics"));
//   ...
//   metrics.append({epoch, train_loss, test_loss, test_accuracy, seconds});
//   checkpoint.set("metrics", metrics.state());
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ember/core/value.h"

namespace ember::data {

struct EpochMetrics {
  std::int64_t epoch = 0;  // 1 for the first epoch
  double train_loss = 0.0;
  double test_loss = 0.0;
  double test_accuracy = 0.0;  // a fraction in [0, 1]
  double seconds = 0.0;  // wall time of the epoch (training and evaluation)
};

inline constexpr const char* kMetricsCsvHeader = "epoch,train_loss,test_loss,test_accuracy,seconds";

// The CSV text of rows: the header, then one line per row (losses and accuracy with 9
// significant digits, enough to tell float32 values apart; seconds with 3 decimals).
std::string metrics_csv(const std::vector<EpochMetrics>& rows);
// Reads a file written by metrics_csv. Throws Error naming the file and line on a wrong
// header or a malformed row.
std::vector<EpochMetrics> read_metrics_csv(const std::string& path);

class MetricsLog {
 public:
  // path: the CSV file to keep up to date; "" keeps the rows in memory only. Nothing is
  // written until the first append() or load_state().
  explicit MetricsLog(std::string path = "");

  // Adds a row and rewrites the file. Checks that epochs increase.
  void append(const EpochMetrics& row);
  const std::vector<EpochMetrics>& rows() const { return rows_; }
  const std::string& path() const { return path_; }

  // The rows as a list of dicts {'epoch', 'train_loss', 'test_loss', 'test_accuracy',
  // 'seconds'}: plain Python values in a checkpoint opened with torch.load.
  Value state() const;
  // Replaces the rows with those of state() and rewrites the file from them.
  void load_state(const Value& state);

 private:
  void write() const;

  std::string path_;
  std::vector<EpochMetrics> rows_;
};

// Writes text to path atomically (a temporary file in the same folder, renamed over path).
// Throws Error naming the file when it cannot be written.
void write_text_file(const std::string& path, const std::string& text);

}  // namespace ember::data
