#pragma once
// BGR24 frames to the virtual camera's YUV layout (live/v4l2_device.h V4l2Format) with libswscale:
// BT.601 coefficients, full-range RGB in, limited-range YUV out (16..235 luma), which is what
// webcam consumers of V4L2 assume for I420 and YUYV. Torch-free.

#include <cstdint>
#include <memory>
#include <vector>

#include "live/v4l2_device.h"

struct SwsContext;

namespace musetalk::live {

class V4l2Converter {
 public:
  // width, height: the BGR frames' size in pixels; format: the device layout, at least that large
  // (v4l2_format_for rounds odd sides up). Throws musetalk::Error when libswscale cannot convert.
  V4l2Converter(int width, int height, const V4l2Format& format);
  ~V4l2Converter();
  V4l2Converter(const V4l2Converter&) = delete;
  V4l2Converter& operator=(const V4l2Converter&) = delete;

  // bgr: height rows of width pixels, stride bytes apart. out: format.image_bytes bytes. A
  // padded column or row repeats the frame's last one; bytes past the image are left as they are.
  void convert(const uint8_t* bgr, int stride, uint8_t* out);

 private:
  struct SwsDeleter {
    void operator()(SwsContext* c) const;
  };
  int width_, height_;
  V4l2Format format_;
  std::vector<uint8_t> padded_;  // BGR at the device size, when it differs
  std::unique_ptr<SwsContext, SwsDeleter> sws_;
};

}  // namespace musetalk::live
