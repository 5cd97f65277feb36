#pragma once
// The face box of one frame from its 68 face landmarks and the face detector's box, as upstream
// MuseTalk prepares an avatar (musetalk/utils/preprocessing.py get_landmark_and_bbox, and
// scripts/realtime_inference.py Avatar.prepare_material for v1.5's bottom margin), with the
// faults upstream has fixed: the box is kept inside the frame, and a frame without a usable box is
// reported instead of getting a (0, 0, 0, 0) placeholder that shifts the latents.

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "avatar/avatar.h"

namespace musetalk::avatar {

// Landmark pixel position, truncated to int as upstream casts DWPose's keypoints (astype(int32)).
struct Point {
  int x = 0, y = 0;
};

// The 68 iBUG face points: COCO-WholeBody keypoints 23..90 of DWPose.
using FaceLandmarks = std::array<Point, 68>;
constexpr int kFirstFaceKeypoint = 23;

// v1.5's bottom margin in pixels (realtime_inference.py --extra_margin default).
constexpr int kV15ExtraMargin = 10;

struct FaceBoxRule {
  int bbox_shift = 0;    // pixels, + moves the mask boundary down; v1.5 uses 0
  int extra_margin = 0;  // pixels added below the box (v1.5: kV15ExtraMargin)
};

struct FaceBoxChoice {
  std::optional<Box> box;  // inside the frame and not empty; none: no usable face
  // "landmarks", "detector" (the landmark box was unusable: upstream's "error bbox" fallback),
  // "none".
  std::string source;
  std::string problem;  // why there is no box ("" when there is one)
};

// Spec of upstream get_landmark_and_bbox for one frame: with no detector box, no face. Otherwise
// y_ref = y29 + bbox_shift, half = max(y) - y_ref, box = (min x, max(0, y_ref - half), max x,
// max y); when that box is empty or x1 < 0 the detector's box is used. Then extra_margin is added
// to y2 (v1.5), and the box is clipped to the frame (upstream leaves detector boxes that cross the
// right or bottom edge, which its crop cannot take). A result empty or under kMinFaceSide on a
// side means no face.
FaceBoxChoice choose_face_box(const FaceLandmarks& landmarks, const std::optional<Box>& detected,
                              const FaceBoxRule& rule, int frame_width, int frame_height);

// The smallest face box side avatar creation takes, in pixels (the mask's square crop box is
// 1.5 x the longer side; a box of a pixel or two has no face in it).
constexpr int kMinFaceSide = 8;

// The box a user gave (--box): extra_margin is not added. Throws Error naming `what` when it is
// empty, smaller than kMinFaceSide on a side, or not inside the frame.
Box check_given_box(const Box& box, int frame_width, int frame_height, const std::string& what);

// Upstream's suggested bbox_shift range ("Manually adjust range : [ -a~b ]"): a = the mean over
// frames of y30 - y29, b = the mean of y29 - y28, each truncated to int as upstream prints them.
struct BboxShiftRange {
  int minus = 0, plus = 0;
  int frames = 0;  // frames averaged (those with a detected face)
};
BboxShiftRange bbox_shift_range(const std::vector<FaceLandmarks>& landmarks);

// Per-frame warnings that do not drop the frame: a face turned to the side (the nose tip, point
// 30, lies in the outer fifth of the jaw's width, points 0..16) or a small face (the box's shorter
// side under kSmallFacePixels, so the 256x256 crop is an upscale of it). Empty when neither.
constexpr int kSmallFacePixels = 96;
std::vector<std::string> face_warnings(const FaceLandmarks* landmarks, const Box& box);

}  // namespace musetalk::avatar
