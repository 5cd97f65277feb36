#include "media/pose_warp.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <string>

#include "files/error.h"

namespace musetalk::media {
namespace {

// mmpose/structures/bbox/transforms.py _get_3rd_point on float32 points: b + rot90(a - b).
cv::Point2f third_point(const cv::Point2f& a, const cv::Point2f& b) {
  const float dx = a.x - b.x, dy = a.y - b.y;
  return {b.x + (-dy), b.y + dx};
}

}  // namespace

PoseWarp pose_warp_for_box(float x1, float y1, float x2, float y2, float padding, int input_width,
                           int input_height) {
  if (!(x2 > x1) || !(y2 > y1) || input_width <= 0 || input_height <= 0) {
    throw Error("pose box",
                "box [" + std::to_string(x1) + ", " + std::to_string(y1) + ", " +
                    std::to_string(x2) + ", " + std::to_string(y2) + "] or input size " +
                    std::to_string(input_width) + "x" + std::to_string(input_height) + " is empty",
                "give an image with pixels");
  }
  PoseWarp w;
  w.input_width = input_width;
  w.input_height = input_height;
  // bbox_xyxy2cs on a float32 box: centre (x1 + x2, y1 + y2) * 0.5, scale (x2 - x1, y2 - y1) *
  // padding, all float32.
  w.center = {(x1 + x2) * 0.5f, (y1 + y2) * 0.5f};
  float sw = (x2 - x1) * padding, sh = (y2 - y1) * padding;
  // TopdownAffine._fix_aspect_ratio with aspect_ratio = w / h (a Python float, float32 here).
  const auto aspect = static_cast<float>(static_cast<double>(input_width) / input_height);
  if (sw > sh * aspect) {
    sh = sw / aspect;
  } else {
    sw = sh * aspect;
  }
  w.scale = {sw, sh};

  // get_warp_matrix(center, scale, rot=0, output_size=(w, h)), shift 0: src and dst are float32
  // arrays; src[1] = center + (0, -scale_w / 2) is summed in float64 (the rotated direction is
  // a float64 array) and stored as float32; the third points are float32 arithmetic.
  cv::Point2f src[3], dst[3];
  src[0] = {w.center[0], w.center[1]};
  const float half_w = sw * -0.5f;
  src[1] = {static_cast<float>(static_cast<double>(w.center[0]) + 0.0),
            static_cast<float>(static_cast<double>(w.center[1]) + static_cast<double>(half_w))};
  src[2] = third_point(src[0], src[1]);
  const double dst_w = input_width, dst_h = input_height;
  dst[0] = {static_cast<float>(dst_w * 0.5), static_cast<float>(dst_h * 0.5)};
  dst[1] = {static_cast<float>(dst_w * 0.5 + 0.0), static_cast<float>(dst_h * 0.5 + dst_w * -0.5)};
  dst[2] = third_point(dst[0], dst[1]);
  const cv::Mat m = cv::getAffineTransform(src, dst);  // 2 x 3 CV_64F
  for (int r = 0; r < 2; ++r) {
    for (int c = 0; c < 3; ++c) w.matrix[r][c] = m.at<double>(r, c);
  }
  return w;
}

PoseWarp pose_warp_for(int width, int height) {
  return pose_warp_for_box(0.0f, 0.0f, static_cast<float>(width), static_cast<float>(height));
}

Image warp_for_pose(const Image& bgr, const PoseWarp& warp) {
  if (bgr.channels != 3 || bgr.width <= 0 || bgr.height <= 0 ||
      bgr.pixels.size() != static_cast<size_t>(bgr.width) * bgr.height * 3) {
    throw Error("pose input frame",
                "expected a non-empty BGR image, got " + std::to_string(bgr.width) + "x" +
                    std::to_string(bgr.height) + " with " + std::to_string(bgr.channels) +
                    " channels and " + std::to_string(bgr.pixels.size()) + " bytes");
  }
  cv::Mat m(2, 3, CV_64F);
  for (int r = 0; r < 2; ++r) {
    for (int c = 0; c < 3; ++c) m.at<double>(r, c) = warp.matrix[r][c];
  }
  const cv::Mat in(bgr.height, bgr.width, CV_8UC3, const_cast<uint8_t*>(bgr.pixels.data()));
  Image out;
  out.width = warp.input_width;
  out.height = warp.input_height;
  out.channels = 3;
  out.pixels.resize(static_cast<size_t>(out.width) * out.height * 3);
  cv::Mat dst(out.height, out.width, CV_8UC3, out.pixels.data());
  cv::warpAffine(in, dst, m, cv::Size(out.width, out.height), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                 cv::Scalar());
  if (dst.data != out.pixels.data()) throw Error("pose warp", "cv::warpAffine reallocated");
  return out;
}

}  // namespace musetalk::media
