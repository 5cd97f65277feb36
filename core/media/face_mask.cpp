#include "media/face_mask.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "files/error.h"
#include "media/pil_resize.h"

namespace musetalk::media {
namespace {

// BiSeNet's input and output side (FaceParsing.__call__ size=(512, 512)).
constexpr int kParsingSize = 512;
// BiSeNet's 19 CelebAMask-HQ classes (face_parsing/model.py BiSeNet(n_classes=19)).
constexpr int kLabels = 19;

std::string box_text(const avatar::Box& b) {
  return "[" + std::to_string(b.x1) + ", " + std::to_string(b.y1) + ", " + std::to_string(b.x2) +
         ", " + std::to_string(b.y2) + "]";
}

void require_non_empty(const avatar::Box& b, const std::string& what) {
  if (b.width() <= 0 || b.height() <= 0) {
    throw Error(what, box_text(b) + " is empty (x2 <= x1 or y2 <= y1)", avatar::kRecreateFix);
  }
}

// FaceParsing.__init__ self.kernel: 33x33, rows 10..20 a centred run of width 2 (row - 10) + 1,
// rows 21..32 the width-21 run of row 20 (columns 6..26).
cv::Mat cone_kernel() {
  constexpr int cone_height = 21, tail_height = 12, total = cone_height + tail_height;
  constexpr int center = total / 2;
  cv::Mat k = cv::Mat::zeros(total, total, CV_8U);
  for (int row = cone_height / 2; row < cone_height; ++row) {
    const int width = 2 * (row - cone_height / 2) + 1;
    k.row(row).colRange(center - width / 2, center + width / 2 + 1).setTo(1);
  }
  const int base_width = cv::countNonZero(k.row(cone_height - 1));
  for (int row = cone_height; row < total; ++row) {
    k.row(row)
        .colRange(std::max(0, center - base_width / 2),
                  std::min(total, center + base_width / 2 + 1))
        .setTo(1);
  }
  return k;
}

// FaceParsing._create_cheek_mask(cheek_width, cheek_width): 255 in the filled rectangles
// (0, 0)-(256 - w, 512) and (256 + w, 0)-(512, 512), drawn by cv2.rectangle.
cv::Mat cheek_mask(int cheek_width) {
  cv::Mat mask = cv::Mat::zeros(kParsingSize, kParsingSize, CV_8U);
  const int center = kParsingSize / 2;
  cv::rectangle(mask, cv::Point(0, 0), cv::Point(center - cheek_width, kParsingSize),
                cv::Scalar(255), cv::FILLED);
  cv::rectangle(mask, cv::Point(center + cheek_width, 0), cv::Point(kParsingSize, kParsingSize),
                cv::Scalar(255), cv::FILLED);
  return mask;
}

// FaceParsing.__call__ after the argmax: the mode's 0/255 map of the labels.
cv::Mat binary_map(const cv::Mat& labels, ParsingMode mode, int cheek_width) {
  cv::Mat out = cv::Mat::zeros(labels.size(), CV_8U);
  cv::Mat region;  // jaw: the dilated and cheek-eroded skin
  if (mode == ParsingMode::Jaw) {
    const cv::Mat skin = labels == 1;
    cv::Mat dilated, eroded;
    cv::dilate(skin, dilated, cone_kernel(), cv::Point(-1, -1), 1);
    cv::erode(dilated, eroded, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(35, 3)),
              cv::Point(-1, -1), 2);
    const cv::Mat cheek = cheek_mask(cheek_width);
    region = (eroded & cheek) | (dilated & ~cheek);
  }
  for (int y = 0; y < labels.rows; ++y) {
    const uint8_t* l = labels.ptr<uint8_t>(y);
    const uint8_t* r = region.empty() ? nullptr : region.ptr<uint8_t>(y);
    uint8_t* o = out.ptr<uint8_t>(y);
    for (int x = 0; x < labels.cols; ++x) {
      const int v = l[x];
      const bool mouth = v == 11 || v == 12 || v == 13;
      bool keep = false;
      switch (mode) {
        case ParsingMode::Raw:
          keep = v == 1 || mouth;
          break;
        case ParsingMode::Neck:
          keep = v == 1 || mouth || v == 14;
          break;
        case ParsingMode::Jaw:
          keep = (r[x] == 255 && v != 10) || mouth;
          break;
      }
      o[x] = keep ? 255 : 0;
    }
  }
  return out;
}

}  // namespace

const char* parsing_mode_name(ParsingMode mode) {
  switch (mode) {
    case ParsingMode::Jaw:
      return "jaw";
    case ParsingMode::Raw:
      return "raw";
    case ParsingMode::Neck:
      return "neck";
  }
  return "?";
}

ParsingMode parse_parsing_mode(const std::string& value, const std::string& option) {
  for (ParsingMode m : {ParsingMode::Jaw, ParsingMode::Raw, ParsingMode::Neck}) {
    if (value == parsing_mode_name(m)) return m;
  }
  throw Error(option, "is \"" + value + "\"; it must be jaw, raw or neck",
              "use jaw (MuseTalk v1.5's mask), raw or neck");
}

Image parsing_input(const Image& frame_bgr, const avatar::Box& crop_box) {
  if (frame_bgr.channels != 3 || frame_bgr.width < 1 || frame_bgr.height < 1 ||
      frame_bgr.pixels.size() !=
          static_cast<size_t>(frame_bgr.width) * frame_bgr.height * frame_bgr.channels) {
    throw Error("face parsing frame", "is not a non-empty 3-channel BGR image with " +
                                          std::to_string(frame_bgr.width) + "x" +
                                          std::to_string(frame_bgr.height) + " pixels");
  }
  require_non_empty(crop_box, "face parsing crop box");
  // PIL Image.crop: RGB pixels of the box, black where it leaves the frame.
  Image crop;
  crop.width = crop_box.width();
  crop.height = crop_box.height();
  crop.channels = 3;
  crop.pixels.assign(static_cast<size_t>(crop.width) * crop.height * 3, 0);
  for (int y = 0; y < crop.height; ++y) {
    const int fy = crop_box.y1 + y;
    if (fy < 0 || fy >= frame_bgr.height) continue;
    for (int x = 0; x < crop.width; ++x) {
      const int fx = crop_box.x1 + x;
      if (fx < 0 || fx >= frame_bgr.width) continue;
      const uint8_t* src =
          frame_bgr.pixels.data() + (static_cast<size_t>(fy) * frame_bgr.width + fx) * 3;
      uint8_t* dst = crop.pixels.data() + (static_cast<size_t>(y) * crop.width + x) * 3;
      dst[0] = src[2];
      dst[1] = src[1];
      dst[2] = src[0];
    }
  }
  return pil_resize(crop, kParsingSize, kParsingSize, PilFilter::Bilinear);
}

Image blend_mask(const Image& labels512, const avatar::Box& face_box, const avatar::Box& crop_box,
                 ParsingMode mode, int cheek_width, double upper_boundary_ratio) {
  const std::string what = "face parsing labels";
  if (labels512.channels != 1 || labels512.width != kParsingSize ||
      labels512.height != kParsingSize ||
      labels512.pixels.size() != static_cast<size_t>(kParsingSize) * kParsingSize) {
    throw Error(what, "are " + std::to_string(labels512.width) + "x" +
                          std::to_string(labels512.height) + "x" +
                          std::to_string(labels512.channels) + "; expected 512x512x1");
  }
  for (uint8_t v : labels512.pixels) {
    if (v >= kLabels) {
      throw Error(what, "hold label " + std::to_string(v) + "; BiSeNet's labels are 0..18");
    }
  }
  require_non_empty(face_box, "blending mask face box");
  require_non_empty(crop_box, "blending mask crop box");
  if (cheek_width < 0 || cheek_width > kParsingSize / 2) {
    throw Error("cheek width", std::to_string(cheek_width) + " is outside 0..256",
                "use 90 (MuseTalk v1.5) or 80 (FaceParsing's default)");
  }
  if (!(upper_boundary_ratio >= 0.0 && upper_boundary_ratio <= 1.0)) {
    throw Error("upper boundary ratio", std::to_string(upper_boundary_ratio) + " is outside 0..1",
                "use 0.5 (MuseTalk's default)");
  }

  const cv::Mat labels(kParsingSize, kParsingSize, CV_8U,
                       const_cast<uint8_t*>(labels512.pixels.data()));
  Image binary;
  binary.width = binary.height = kParsingSize;
  binary.channels = 1;
  binary.pixels.resize(static_cast<size_t>(kParsingSize) * kParsingSize);
  binary_map(labels, mode, cheek_width)
      .copyTo(cv::Mat(kParsingSize, kParsingSize, CV_8U, binary.pixels.data()));

  // face_seg: seg_image.resize(image.size), PIL's default BICUBIC for mode "L".
  Image mask = pil_resize(binary, crop_box.width(), crop_box.height(), PilFilter::Bicubic);

  // The face box in crop coordinates (PIL crop and paste clip it to the mask), and the rows
  // from int(height * upper_boundary_ratio) down.
  const int w = mask.width, h = mask.height;
  const int x_lo = std::max(0, face_box.x1 - crop_box.x1);
  const int x_hi = std::min(w, face_box.x2 - crop_box.x1);
  const int top = static_cast<int>(h * upper_boundary_ratio);
  const int y_lo = std::max({0, face_box.y1 - crop_box.y1, top});
  const int y_hi = std::min(h, face_box.y2 - crop_box.y1);
  for (int y = 0; y < h; ++y) {
    uint8_t* row = mask.pixels.data() + static_cast<size_t>(y) * w;
    for (int x = 0; x < w; ++x) {
      if (y < y_lo || y >= y_hi || x < x_lo || x >= x_hi) row[x] = 0;
    }
  }

  // cv2.GaussianBlur(mask, (k, k), 0) with k = int(0.1 * width // 2 * 2) + 1.
  const int k = static_cast<int>(std::floor(0.1 * w / 2.0) * 2.0) + 1;
  cv::Mat m(h, w, CV_8U, mask.pixels.data());
  cv::GaussianBlur(m.clone(), m, cv::Size(k, k), 0);
  return mask;
}

}  // namespace musetalk::media
