// The SVG plot: two panels (loss, accuracy), each an axis frame with ticks, lines and a legend.
#include "ember/train/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <utility>

namespace ember::data {

namespace {

struct Range {
  double lo = 0.0;
  double hi = 1.0;
};

struct Series {
  std::string name;
  std::string color;
  std::vector<std::pair<double, double>> points;  // (epoch, value), finite values only
};

// A panel's plot area in pixels and the data ranges it shows.
struct Panel {
  double left, top, width, height;
  Range x, y;
  double x_step, y_step;  // tick spacing in data units
  std::string title, y_label;

  double px(double value) const { return left + (value - x.lo) / (x.hi - x.lo) * width; }
  double py(double value) const { return top + height - (value - y.lo) / (y.hi - y.lo) * height; }
};

std::string num(double value, const char* format = "%.1f") {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

// Tick labels: %g drops trailing zeros (0.5, 0.25, 2); round away floating-point dust first.
std::string tick_label(double value, double step) {
  const double rounded = std::round(value / step) * step;
  return num(std::abs(rounded) < step * 1e-9 ? 0.0 : rounded, "%.6g");
}

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// A step of 1, 2 or 5 times a power of ten that cuts span into about `ticks` pieces.
double nice_step(double span, int ticks) {
  const double raw = span / ticks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double factor : {1.0, 2.0, 5.0}) {
    if (raw <= factor * magnitude) return factor * magnitude;
  }
  return 10.0 * magnitude;
}

// The range of the values rounded out to whole steps (a small span around a single value).
std::pair<Range, double> value_range(const std::vector<const Series*>& series) {
  double lo = INFINITY, hi = -INFINITY;
  for (const Series* s : series) {
    for (const auto& point : s->points) {
      lo = std::min(lo, point.second);
      hi = std::max(hi, point.second);
    }
  }
  if (!(lo <= hi)) return {{0.0, 1.0}, 0.2};  // no finite value
  if (hi - lo < 1e-12) {
    const double pad = std::max(std::abs(lo) * 0.05, 0.01);
    lo -= pad;
    hi += pad;
  }
  const double step = nice_step(hi - lo, 5);
  return {{std::floor(lo / step) * step, std::ceil(hi / step) * step}, step};
}

void draw_axes(std::ostringstream& svg, const Panel& p) {
  svg << "<text x=\"" << num(p.left + p.width / 2) << "\" y=\"" << num(p.top - 12)
      << "\" text-anchor=\"middle\" font-size=\"15\">" << escape(p.title) << "</text>\n";
  // Grid lines and tick labels; the epsilon keeps the last tick despite rounding.
  for (double v = p.y.lo; v <= p.y.hi + p.y_step * 1e-6; v += p.y_step) {
    svg << "<line x1=\"" << num(p.left) << "\" y1=\"" << num(p.py(v)) << "\" x2=\""
        << num(p.left + p.width) << "\" y2=\"" << num(p.py(v)) << "\" stroke=\"#ddd\"/>\n"
        << "<text x=\"" << num(p.left - 6) << "\" y=\"" << num(p.py(v) + 4)
        << "\" text-anchor=\"end\" font-size=\"11\">" << tick_label(v, p.y_step) << "</text>\n";
  }
  for (double v = std::ceil(p.x.lo / p.x_step) * p.x_step; v <= p.x.hi + 1e-9; v += p.x_step) {
    svg << "<line x1=\"" << num(p.px(v)) << "\" y1=\"" << num(p.top + p.height) << "\" x2=\""
        << num(p.px(v)) << "\" y2=\"" << num(p.top + p.height + 5) << "\" stroke=\"#333\"/>\n"
        << "<text x=\"" << num(p.px(v)) << "\" y=\"" << num(p.top + p.height + 18)
        << "\" text-anchor=\"middle\" font-size=\"11\">" << tick_label(v, p.x_step) << "</text>\n";
  }
  svg << "<rect x=\"" << num(p.left) << "\" y=\"" << num(p.top) << "\" width=\"" << num(p.width)
      << "\" height=\"" << num(p.height) << "\" fill=\"none\" stroke=\"#333\"/>\n";
  svg << "<text x=\"" << num(p.left + p.width / 2) << "\" y=\"" << num(p.top + p.height + 38)
      << "\" text-anchor=\"middle\" font-size=\"13\">epoch</text>\n";
  const double label_x = p.left - 48, label_y = p.top + p.height / 2;
  svg << "<text x=\"" << num(label_x) << "\" y=\"" << num(label_y)
      << "\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 " << num(label_x) << ' '
      << num(label_y) << ")\">" << escape(p.y_label) << "</text>\n";
}

void draw_series(std::ostringstream& svg, const Panel& p, const Series& s) {
  svg << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"2\" points=\"";
  for (std::size_t i = 0; i < s.points.size(); ++i) {
    svg << (i ? " " : "") << num(p.px(s.points[i].first)) << ',' << num(p.py(s.points[i].second));
  }
  svg << "\"/>\n";
  for (const auto& point : s.points) {
    svg << "<circle cx=\"" << num(p.px(point.first)) << "\" cy=\"" << num(p.py(point.second))
        << "\" r=\"3\" fill=\"" << s.color << "\"/>\n";
  }
}

// In the top right corner, or the bottom right one where the lines end high (accuracy).
void draw_legend(std::ostringstream& svg, const Panel& p, const std::vector<const Series*>& series,
                 bool top) {
  double y = top ? p.top + 16 : p.top + p.height - 18.0 * static_cast<double>(series.size()) + 6;
  for (const Series* s : series) {
    const double x = p.left + p.width - 120;
    svg << "<line x1=\"" << num(x) << "\" y1=\"" << num(y - 4) << "\" x2=\"" << num(x + 20)
        << "\" y2=\"" << num(y - 4) << "\" stroke=\"" << s->color << "\" stroke-width=\"2\"/>\n"
        << "<text x=\"" << num(x + 26) << "\" y=\"" << num(y) << "\" font-size=\"12\">"
        << escape(s->name) << "</text>\n";
    y += 18;
  }
}

Series make_series(std::string name, std::string color, const std::vector<EpochMetrics>& rows,
                   double EpochMetrics::*field) {
  Series s{std::move(name), std::move(color), {}};
  for (const EpochMetrics& row : rows) {
    if (std::isfinite(row.*field)) s.points.emplace_back(static_cast<double>(row.epoch), row.*field);
  }
  return s;
}

Panel make_panel(double left, double width, double height, Range x, double x_step,
                 const std::vector<const Series*>& series, std::string title, std::string y_label) {
  const auto [y, y_step] = value_range(series);
  // Margins: 75 px left for tick labels and the axis label, 60 px top for the titles.
  return Panel{left + 75, 60, width - 95, height - 115, x, y, x_step, y_step, std::move(title),
               std::move(y_label)};
}

}  // namespace

std::string metrics_svg(const std::vector<EpochMetrics>& rows, const PlotOptions& options) {
  const Series train = make_series("train loss", "#1f77b4", rows, &EpochMetrics::train_loss);
  const Series test = make_series("test loss", "#ff7f0e", rows, &EpochMetrics::test_loss);
  const Series accuracy = make_series("test accuracy", "#2ca02c", rows, &EpochMetrics::test_accuracy);

  // Epochs on x: whole numbers, one tick per epoch up to about ten ticks.
  Range x{0.0, 1.0};
  if (!rows.empty()) {
    x = {static_cast<double>(rows.front().epoch), static_cast<double>(rows.back().epoch)};
    if (x.hi - x.lo < 1) x = {x.lo - 1, x.hi + 1};
  }
  const double x_step = std::max(1.0, std::round(nice_step(x.hi - x.lo, 10)));

  const double half = options.width / 2.0;
  const Panel loss_panel = make_panel(0, half, options.height, x, x_step, {&train, &test}, "loss", "loss");
  const Panel accuracy_panel =
      make_panel(half, half, options.height, x, x_step, {&accuracy}, "test accuracy", "accuracy");

  std::ostringstream svg;
  svg << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << options.width << "\" height=\""
      << options.height << "\" viewBox=\"0 0 " << options.width << ' ' << options.height
      << "\" font-family=\"sans-serif\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << num(half) << "\" y=\"22\" text-anchor=\"middle\" font-size=\"17\" "
      << "font-weight=\"bold\">" << escape(options.title) << "</text>\n";
  draw_axes(svg, loss_panel);
  draw_series(svg, loss_panel, train);
  draw_series(svg, loss_panel, test);
  draw_legend(svg, loss_panel, {&train, &test}, /*top=*/true);
  draw_axes(svg, accuracy_panel);
  draw_series(svg, accuracy_panel, accuracy);
  draw_legend(svg, accuracy_panel, {&accuracy}, /*top=*/false);
  svg << "</svg>\n";
  return svg.str();
}

void write_metrics_svg(const std::string& path, const std::vector<EpochMetrics>& rows,
                       const PlotOptions& options) {
  write_text_file(path, metrics_svg(rows, options));
}

}  // namespace ember::data
