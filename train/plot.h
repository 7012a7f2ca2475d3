// plot_metrics_svg: a picture of a training run, train and test loss (left panel) and test
// accuracy (right panel) per epoch, as a self-contained SVG that any browser opens.
#pragma once

#include <string>
#include <vector>

#include "ember/train/metrics.h"

namespace ember::data {

struct PlotOptions {
  std::string title = "Training";
  int width = 960;  // pixels, both panels together
  int height = 400;
};

// The SVG text: two panels with labelled axes and ticks, one polyline per series (train loss,
// test loss, test accuracy) with a marker at every epoch, and a legend. Non-finite values
// are left out of the lines. rows may be empty (empty axes).
std::string metrics_svg(const std::vector<EpochMetrics>& rows, const PlotOptions& options = {});

// Writes metrics_svg(rows, options) to path atomically; throws Error naming the file.
void write_metrics_svg(const std::string& path, const std::vector<EpochMetrics>& rows,
                       const PlotOptions& options = {});

}  // namespace ember::data
