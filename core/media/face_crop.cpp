#include "media/face_crop.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "avatar/avatar.h"
#include "files/error.h"

namespace musetalk::media {

Image crop_resize_lanczos(const Image& frame, int x1, int y1, int x2, int y2, int size,
                          const std::string& what) {
  if (frame.channels != 3) throw Error(what, "is not a 3-channel image");
  if (x1 < 0 || y1 < 0 || x2 > frame.width || y2 > frame.height || x2 <= x1 || y2 <= y1) {
    throw Error(what,
                "face box [" + std::to_string(x1) + ", " + std::to_string(y1) + ", " +
                    std::to_string(x2) + ", " + std::to_string(y2) + "] is empty or leaves the " +
                    std::to_string(frame.width) + "x" + std::to_string(frame.height) + " frame",
                avatar::kRecreateFix);
  }
  // OpenCV only reads through this header; the pixels stay the caller's.
  const cv::Mat whole(frame.height, frame.width, CV_8UC3,
                      const_cast<uint8_t*>(frame.pixels.data()));
  Image out;
  out.width = out.height = size;
  out.channels = 3;
  out.pixels.resize(static_cast<size_t>(size) * size * 3);
  cv::Mat resized(size, size, CV_8UC3, out.pixels.data());
  cv::resize(whole(cv::Range(y1, y2), cv::Range(x1, x2)), resized, cv::Size(size, size), 0, 0,
             cv::INTER_LANCZOS4);
  return out;
}

}  // namespace musetalk::media
