#pragma once
// The top-down crop DWPose's RTMPose sees (mmpose 1.1.0, as MuseTalk's
// musetalk/utils/preprocessing.py get_landmark_and_bbox calls inference_topdown without boxes):
// the whole image as the person box (mmpose/apis/inference.py inference_topdown), its centre and
// padded scale (mmpose/structures/bbox/transforms.py bbox_xyxy2cs, padding 1.25), the scale
// widened to the input's aspect ratio (mmpose/datasets/transforms/topdown_transforms.py
// TopdownAffine._fix_aspect_ratio) and the affine warp to the 288 x 384 input (get_warp_matrix,
// non-UDP, rotation 0; cv2.warpAffine INTER_LINEAR, border 0). PoseWarp is plain data, so the
// torch side (face/pose_landmarks.h) maps keypoints back with it without OpenCV.

#include <array>

#include "media/image_io.h"

namespace musetalk::media {

struct PoseWarp {
  int input_width = 288;  // the network input, w x h
  int input_height = 384;
  // The box centre (x, y) and scale (w, h) in image pixels, float32 as mmpose computes them.
  std::array<float, 2> center = {0, 0};
  std::array<float, 2> scale = {0, 0};
  // Image pixel -> input pixel: [x_in, y_in] = matrix * [x, y, 1] (cv2.getAffineTransform's
  // float64 result).
  std::array<std::array<double, 3>, 2> matrix = {};

  // An input-pixel coordinate back in image pixels (mmpose/models/pose_estimators/topdown.py
  // add_pred_to_datasample: kp / input_size * scale + center - 0.5 * scale, in float64).
  double image_x(double input_x) const {
    return input_x / input_width * scale[0] + center[0] - 0.5 * scale[0];
  }
  double image_y(double input_y) const {
    return input_y / input_height * scale[1] + center[1] - 0.5 * scale[1];
  }
};

// The warp for the box [x1, x2) x [y1, y2) in image pixels (bbox_xyxy2cs with `padding`, then
// the aspect fix to input_width / input_height, then get_warp_matrix), in mmpose's float32
// steps. Throws musetalk::Error when the box or the input size is empty.
PoseWarp pose_warp_for_box(float x1, float y1, float x2, float y2, float padding = 1.25f,
                           int input_width = 288, int input_height = 384);

// The whole-image warp DWPose uses for a width x height frame: the box [0, 0, width, height].
// For 640 x 480: centre (320, 240), scale (800, 1066.667), matrix [[0.36, 0, 28.8], [0, 0.36,
// 105.6]].
PoseWarp pose_warp_for(int width, int height);

// cv2.warpAffine(bgr, warp.matrix, (input_width, input_height), INTER_LINEAR, BORDER_CONSTANT 0):
// the input_width x input_height BGR network crop. Throws musetalk::Error for an image that is
// not BGR or is empty.
Image warp_for_pose(const Image& bgr, const PoseWarp& warp);

}  // namespace musetalk::media
