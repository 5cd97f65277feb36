#include "avatar/face_box_rules.h"

#include <algorithm>
#include <cstdio>

#include "files/error.h"

namespace musetalk::avatar {
namespace {

std::string box_text(const Box& b) {
  char text[96];
  std::snprintf(text, sizeof text, "[%d, %d, %d, %d]", b.x1, b.y1, b.x2, b.y2);
  return text;
}

Box landmark_box(const FaceLandmarks& lm, int bbox_shift) {
  // Upstream shifts point 29 in place before taking the lowest point, so the shifted point 29
  // counts there.
  const int y_ref = lm[29].y + bbox_shift;
  int x1 = lm[0].x, x2 = lm[0].x, y_max = y_ref;
  for (size_t k = 0; k < lm.size(); ++k) {
    x1 = std::min(x1, lm[k].x);
    x2 = std::max(x2, lm[k].x);
    if (k != 29) y_max = std::max(y_max, lm[k].y);
  }
  const int half = y_max - y_ref;
  return {x1, std::max(0, y_ref - half), x2, y_max};
}

}  // namespace

FaceBoxChoice choose_face_box(const FaceLandmarks& landmarks, const std::optional<Box>& detected,
                              const FaceBoxRule& rule, int frame_width, int frame_height) {
  if (!detected) return {std::nullopt, "none", "no face found by the face detector"};
  FaceBoxChoice choice;
  Box box = landmark_box(landmarks, rule.bbox_shift);
  choice.source = "landmarks";
  if (box.height() <= 0 || box.width() <= 0 || box.x1 < 0) {
    box = *detected;
    choice.source = "detector";
  }
  box.y2 += rule.extra_margin;
  box = {std::max(box.x1, 0), std::max(box.y1, 0), std::min(box.x2, frame_width),
         std::min(box.y2, frame_height)};
  if (box.width() < kMinFaceSide || box.height() < kMinFaceSide) {
    return {std::nullopt, "none",
            "the face box " + box_text(box) + " is empty or under " + std::to_string(kMinFaceSide) +
                " px inside the frame"};
  }
  choice.box = box;
  return choice;
}

Box check_given_box(const Box& box, int frame_width, int frame_height, const std::string& what) {
  if (box.width() <= 0 || box.height() <= 0) {
    throw Error(what, "the box " + box_text(box) + " is empty (x2 must exceed x1, y2 exceed y1)",
                "give the face box as x1,y1,x2,y2 in pixels of the frame");
  }
  if (box.width() < kMinFaceSide || box.height() < kMinFaceSide) {
    throw Error(
        what,
        "the box " + box_text(box) + " is under " + std::to_string(kMinFaceSide) + " px on a side",
        "give the face box around the whole face, x1,y1,x2,y2 in frame pixels");
  }
  if (box.x1 < 0 || box.y1 < 0 || box.x2 > frame_width || box.y2 > frame_height) {
    throw Error(what,
                "the box " + box_text(box) + " leaves the " + std::to_string(frame_width) + "x" +
                    std::to_string(frame_height) + " frame",
                "give a box inside the frame (0 <= x1 < x2 <= width, 0 <= y1 < y2 <= height)");
  }
  return box;
}

BboxShiftRange bbox_shift_range(const std::vector<FaceLandmarks>& landmarks) {
  BboxShiftRange range;
  if (landmarks.empty()) return range;
  long long minus = 0, plus = 0;
  for (const FaceLandmarks& lm : landmarks) {
    minus += lm[30].y - lm[29].y;
    plus += lm[29].y - lm[28].y;
  }
  const auto n = static_cast<long long>(landmarks.size());
  // Python's int() of the float mean truncates toward zero, as C++ division does.
  range.minus = static_cast<int>(static_cast<double>(minus) / static_cast<double>(n));
  range.plus = static_cast<int>(static_cast<double>(plus) / static_cast<double>(n));
  range.frames = static_cast<int>(n);
  return range;
}

std::vector<std::string> face_warnings(const FaceLandmarks* landmarks, const Box& box) {
  std::vector<std::string> out;
  if (landmarks) {
    const FaceLandmarks& lm = *landmarks;
    const int span = lm[16].x - lm[0].x;
    const double at = span > 0 ? static_cast<double>(lm[30].x - lm[0].x) / span : 0.5;
    if (span <= 0 || at < 0.2 || at > 0.8) {
      out.push_back("side face (the nose is at the edge of the jaw line): the mouth may blur");
    }
  }
  if (std::min(box.width(), box.height()) < kSmallFacePixels) {
    out.push_back("small face (" + std::to_string(box.width()) + "x" +
                  std::to_string(box.height()) +
                  " px, enlarged to 256x256): use a closer or higher-resolution video");
  }
  return out;
}

}  // namespace musetalk::avatar
