#include "media/contact_sheet.h"

#include <algorithm>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "files/error.h"

namespace musetalk::media {
namespace {

const cv::Scalar kFaceColour(0, 200, 0);    // green (BGR)
const cv::Scalar kCropColour(255, 120, 0);  // blue

// The frame's pixels over the crop box (enlarged by a tenth each side), black where the region
// leaves the frame, with the mask tinted red inside the crop box.
cv::Mat region_with_mask(const SheetTile& t, cv::Rect& region) {
  const avatar::Box& c = t.crop_box;
  const int pad = std::max(c.width(), c.height()) / 10;
  region = cv::Rect(c.x1 - pad, c.y1 - pad, c.width() + 2 * pad, c.height() + 2 * pad);
  cv::Mat frame(t.frame.height, t.frame.width, CV_8UC3,
                const_cast<uint8_t*>(t.frame.pixels.data()));
  cv::Mat out(region.size(), CV_8UC3, cv::Scalar::all(0));
  const cv::Rect inside = region & cv::Rect(0, 0, frame.cols, frame.rows);
  if (!inside.empty()) frame(inside).copyTo(out(inside - region.tl()));
  cv::Mat mask(t.mask.height, t.mask.width, CV_8UC1, const_cast<uint8_t*>(t.mask.pixels.data()));
  cv::Mat tinted = out(cv::Rect(pad, pad, c.width(), c.height()));
  for (int y = 0; y < tinted.rows; ++y) {
    for (int x = 0; x < tinted.cols; ++x) {
      const float a = 0.5f * mask.at<uint8_t>(y, x) / 255.0f;
      cv::Vec3b& p = tinted.at<cv::Vec3b>(y, x);
      p[2] = cv::saturate_cast<uint8_t>(p[2] * (1 - a) + 255 * a);
      p[1] = cv::saturate_cast<uint8_t>(p[1] * (1 - a));
      p[0] = cv::saturate_cast<uint8_t>(p[0] * (1 - a));
    }
  }
  return out;
}

// The whole frame, small, in the tile's top-right corner with the face box, so a box on the
// wrong spot (a missed detection) shows where it landed.
void draw_whole_frame(const SheetTile& t, cv::Mat& tile) {
  const int width = std::max(16, tile.cols / 4);
  const double scale = static_cast<double>(width) / t.frame.width;
  const int height = std::max(1, static_cast<int>(t.frame.height * scale));
  if (height + 2 > tile.rows || width + 2 > tile.cols) return;
  cv::Mat frame(t.frame.height, t.frame.width, CV_8UC3,
                const_cast<uint8_t*>(t.frame.pixels.data()));
  cv::Mat small;
  cv::resize(frame, small, cv::Size(width, height), 0, 0, cv::INTER_AREA);
  const avatar::Box& f = t.face_box;
  cv::rectangle(small, cv::Point(static_cast<int>(f.x1 * scale), static_cast<int>(f.y1 * scale)),
                cv::Point(static_cast<int>(f.x2 * scale), static_cast<int>(f.y2 * scale)),
                kFaceColour, 1);
  const cv::Rect at(tile.cols - width - 1, 1, width, height);
  cv::rectangle(tile, at + cv::Size(2, 2) - cv::Point(1, 1), cv::Scalar::all(255), 1);
  small.copyTo(tile(at));
}

void check_tile(const SheetTile& t) {
  const avatar::Box& c = t.crop_box;
  if (t.frame.channels != 3 || t.mask.channels != 1 || c.width() <= 0 || c.height() <= 0 ||
      t.face_box.width() <= 0 || t.face_box.height() <= 0 || t.mask.width != c.width() ||
      t.mask.height != c.height()) {
    throw Error("preview tile " + t.label,
                "needs a BGR frame, non-empty boxes and a grey mask the size of its crop box");
  }
}

}  // namespace

Image contact_sheet(const std::vector<SheetTile>& tiles, int tile_size, int columns) {
  const int n = static_cast<int>(tiles.size());
  const int cols = std::max(1, std::min(columns, n));
  const int rows = std::max(1, (n + cols - 1) / cols);
  cv::Mat sheet(rows * tile_size, cols * tile_size, CV_8UC3, cv::Scalar::all(32));
  for (int i = 0; i < n; ++i) {
    const SheetTile& t = tiles[i];
    check_tile(t);
    cv::Rect region;
    const cv::Mat cut = region_with_mask(t, region);
    const double scale = static_cast<double>(tile_size) / std::max(region.width, region.height);
    cv::Mat scaled;
    cv::resize(cut, scaled, cv::Size(), scale, scale, cv::INTER_AREA);
    auto to_tile = [&](int x, int y) {
      return cv::Point(static_cast<int>((x - region.x) * scale),
                       static_cast<int>((y - region.y) * scale));
    };
    const avatar::Box& f = t.face_box;
    const avatar::Box& c = t.crop_box;
    cv::rectangle(scaled, to_tile(c.x1, c.y1), to_tile(c.x2, c.y2) - cv::Point(1, 1), kCropColour,
                  2);
    cv::rectangle(scaled, to_tile(f.x1, f.y1), to_tile(f.x2, f.y2) - cv::Point(1, 1), kFaceColour,
                  2);
    draw_whole_frame(t, scaled);
    cv::rectangle(scaled, cv::Rect(0, scaled.rows - 20, scaled.cols, 20), cv::Scalar::all(0),
                  cv::FILLED);
    cv::putText(scaled, t.label, cv::Point(6, scaled.rows - 6), cv::FONT_HERSHEY_SIMPLEX, 0.45,
                cv::Scalar::all(255), 1, cv::LINE_AA);
    const cv::Rect cell((i % cols) * tile_size, (i / cols) * tile_size, scaled.cols, scaled.rows);
    scaled.copyTo(sheet(cell));
  }
  constexpr int kLegendHeight = 22;
  cv::Mat with_legend(sheet.rows + kLegendHeight, sheet.cols, CV_8UC3, cv::Scalar::all(0));
  sheet.copyTo(with_legend(cv::Rect(0, 0, sheet.cols, sheet.rows)));
  cv::putText(with_legend, "blue: crop box (mask area)  green: face box  red: mask",
              cv::Point(6, sheet.rows + 15), cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar::all(255),
              1, cv::LINE_AA);
  sheet = with_legend;
  Image out;
  out.width = sheet.cols;
  out.height = sheet.rows;
  out.channels = 3;
  out.pixels.assign(sheet.data, sheet.data + sheet.total() * 3);
  return out;
}

}  // namespace musetalk::media
