// ProgressBar: formatting the status line, in-place redraws on a terminal, plain lines otherwise.
#include "ember/train/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "ember/tensor/error.h"

namespace ember::data {

namespace {

double steady_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

bool is_terminal(const std::ostream* out) {
  if (out == &std::cout) return isatty(STDOUT_FILENO) == 1;
  if (out == &std::cerr) return isatty(STDERR_FILENO) == 1;
  return false;
}

std::string fixed(double value, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

}  // namespace

ProgressBar::ProgressBar(std::int64_t total_batches, ProgressOptions options)
    : total_(total_batches), options_(std::move(options)) {
  check(total_ >= 0, "ProgressBar: total_batches must be non-negative, found ", total_);
  check(options_.batches_done >= 0 && options_.batches_done <= total_,
        "ProgressBar: batches_done must be in 0..", total_, ", found ", options_.batches_done);
  check(options_.interval_seconds >= 0, "ProgressBar: interval_seconds must be non-negative, found ",
        options_.interval_seconds);
  if (!options_.clock) options_.clock = steady_seconds;
  out_ = options_.out != nullptr ? options_.out : &std::cout;
  terminal_ = options_.terminal.value_or(is_terminal(out_));
  first_done_ = done_ = options_.batches_done;
  start_time_ = last_draw_time_ = options_.clock();
  if (terminal_) draw(true);
}

double ProgressBar::elapsed_seconds() const { return options_.clock() - start_time_; }

double ProgressBar::mean_loss() const {
  return samples_ > 0 ? loss_sum_ / static_cast<double>(samples_) : 0.0;
}

std::string ProgressBar::format_duration(double seconds) {
  const auto total = static_cast<std::int64_t>(std::llround(std::max(seconds, 0.0)));
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", static_cast<long long>(total / 3600),
                  static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
  } else {
    std::snprintf(text, sizeof text, "%lld:%02lld", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  }
  return text;
}

void ProgressBar::update(std::int64_t samples, double loss) {
  check(!finished_, "ProgressBar::update: the bar is finished");
  check(samples >= 0, "ProgressBar::update: samples must be non-negative, found ", samples);
  ++done_;
  samples_ += samples;
  loss_sum_ += loss * static_cast<double>(samples);
  draw(false);
}

std::string ProgressBar::status_line(bool plain) const {
  const double elapsed = elapsed_seconds();
  const std::int64_t timed = done_ - first_done_;
  const double rate = elapsed > 0 ? static_cast<double>(samples_) / elapsed : 0.0;
  const std::string eta =
      timed > 0 ? format_duration(elapsed / static_cast<double>(timed) * static_cast<double>(total_ - done_))
                : "?";
  const std::string counts = std::to_string(done_) + "/" + std::to_string(total_);
  const std::string speed = fixed(rate, 0) + " samples/s";
  const std::string loss = "loss " + fixed(mean_loss(), 4);
  if (plain) {
    const std::string label = options_.label.empty() ? "" : options_.label + ": ";
    return label + counts + " batches, " + speed + ", " + loss + ", ETA " + eta;
  }
  // [=====>    ]: '=' for the batches done, '>' at the front while unfinished.
  const int width = std::max(options_.bar_width, 1);
  const auto filled = total_ > 0 ? static_cast<int>(width * done_ / total_) : width;
  std::string bar(static_cast<std::size_t>(width), ' ');
  std::fill(bar.begin(), bar.begin() + filled, '=');
  if (filled < width && filled > 0) bar[static_cast<std::size_t>(filled - 1)] = '>';
  const std::string label = options_.label.empty() ? "" : options_.label + " ";
  return label + "[" + bar + "] " + counts + "  " + speed + "  " + loss + "  ETA " + eta;
}

void ProgressBar::draw(bool force) {
  const double now = options_.clock();
  if (terminal_) {
    // Redrawing costs little, but more than ten times a second only flickers.
    if (!force && done_ < total_ && now - last_draw_time_ < 0.1) return;
  } else if (now - last_draw_time_ < options_.interval_seconds) {
    return;
  }
  last_draw_time_ = now;
  const std::string line = status_line(!terminal_);
  if (terminal_) {
    // Pad with spaces over what the previous, possibly longer, line left behind.
    const std::size_t pad = last_line_length_ > line.size() ? last_line_length_ - line.size() : 0;
    *out_ << '\r' << line << std::string(pad, ' ') << std::flush;
    last_line_length_ = line.size();
  } else {
    *out_ << line << '\n' << std::flush;
  }
}

void ProgressBar::finish(const std::string& extra) {
  check(!finished_, "ProgressBar::finish: the bar is already finished");
  finished_ = true;
  const double elapsed = elapsed_seconds();
  const double rate = elapsed > 0 ? static_cast<double>(samples_) / elapsed : 0.0;
  const std::string label = options_.label.empty() ? "" : options_.label + ": ";
  const std::string line = label + std::to_string(done_) + "/" + std::to_string(total_) +
                           " batches in " + fixed(elapsed, 1) + " s, " + fixed(rate, 0) +
                           " samples/s, train loss " + fixed(mean_loss(), 4) + extra;
  if (terminal_) {
    const std::size_t pad = last_line_length_ > line.size() ? last_line_length_ - line.size() : 0;
    *out_ << '\r' << line << std::string(pad, ' ');
  } else {
    *out_ << line;
  }
  *out_ << '\n' << std::flush;
}

}  // namespace ember::data
