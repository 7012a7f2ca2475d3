// ProgressBar: what a training epoch shows while it runs, batches done of the total,
// samples per second, the running loss and the time left.
//
// On a terminal the bar redraws one line in place with '\r':
//   epoch 2/5 [==========>         ] 412/938  5210 samples/s  loss 0.4123  ETA 0:06
// When the output is not a terminal (a log file, CI), redrawing would fill the file with
// carriage returns, so it prints a plain line every interval_seconds instead:
//   epoch 2/5: 412/938 batches, 5210 samples/s, loss 0.4123, ETA 0:06
// finish() replaces the bar with the epoch's summary line.
//
//   data::ProgressBar progress(loader.num_batches(), {"epoch 2/5"});
//   while (auto batch = loader.next()) {
//     ...
//     progress.update(batch->size(), loss.item());
//   }
//   progress.finish(", test loss 0.3811, test accuracy 0.8632");
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

namespace ember::data {

struct ProgressOptions {
  std::string label;  // printed first, e.g. "epoch 2/5"
  // Where to draw; std::cout by default.
  std::ostream* out = nullptr;
  // Redraw in place (true) or print plain lines (false). Unset: in place exactly when out is
  // std::cout or std::cerr and that stream is a terminal (isatty).
  std::optional<bool> terminal;
  double interval_seconds = 5.0;  // between plain lines; terminal redraws at most every 0.1 s
  int bar_width = 30;
  std::int64_t batches_done = 0;  // when an epoch resumes part way through
  // Seconds on a monotonic clock; tests pass a fake one. Default: std::chrono::steady_clock.
  std::function<double()> clock;
};

class ProgressBar {
 public:
  // total_batches: batches in the epoch (DataLoader::num_batches()).
  explicit ProgressBar(std::int64_t total_batches, ProgressOptions options = {});

  // One more batch done: `samples` examples whose mean loss was `loss`. Redraws or prints a
  // line when it is time to.
  void update(std::int64_t samples, double loss);
  // Ends the bar with the summary line
  //   "<label>: <done>/<total> batches in 12.3 s, 5210 samples/s, train loss 0.4123<extra>"
  // and a newline. Calling update() afterwards is an error.
  void finish(const std::string& extra = "");

  // The mean loss per sample over the batches updated so far (0 before the first).
  double mean_loss() const;
  std::int64_t samples() const { return samples_; }
  std::int64_t batches_done() const { return done_; }
  double elapsed_seconds() const;

  // "1:02:03" or "2:03": how the bar shows durations.
  static std::string format_duration(double seconds);

 private:
  void draw(bool force);
  std::string status_line(bool plain) const;

  std::int64_t total_;
  ProgressOptions options_;
  std::ostream* out_;
  bool terminal_;
  std::int64_t first_done_;  // batches done before this bar started (not timed)
  std::int64_t done_;
  std::int64_t samples_ = 0;
  double loss_sum_ = 0.0;  // sum over batches of loss * samples
  double start_time_;
  double last_draw_time_;
  std::size_t last_line_length_ = 0;
  bool finished_ = false;
};

}  // namespace ember::data
