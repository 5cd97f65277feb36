#include "live/v4l2_convert.h"

#include "files/error.h"
#include "media/image_io.h"

extern "C" {
#include <libswscale/swscale.h>
}

namespace musetalk::live {

void V4l2Converter::SwsDeleter::operator()(SwsContext* c) const {
  sws_freeContext(c);
}

V4l2Converter::V4l2Converter(int width, int height, const V4l2Format& format)
    : width_(width), height_(height), format_(format) {
  if (width <= 0 || height <= 0 || format.width < width || format.height < height)
    throw Error("virtual camera",
                "cannot convert " + std::to_string(width) + "x" + std::to_string(height) +
                    " frames to a " + std::to_string(format.width) + "x" +
                    std::to_string(format.height) + " device frame",
                "report this");
  if (format.width != width || format.height != height)
    padded_.resize(static_cast<size_t>(format.width) * format.height * 3);
  AVPixelFormat yuv =
      format.pixel_format == V4l2PixelFormat::I420 ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_YUYV422;
  sws_.reset(sws_getContext(format.width, format.height, AV_PIX_FMT_BGR24, format.width,
                            format.height, yuv, SWS_BILINEAR | SWS_ACCURATE_RND, nullptr, nullptr,
                            nullptr));
  if (!sws_)
    throw Error("virtual camera",
                std::string("libswscale cannot convert BGR24 to ") +
                    v4l2_pixel_format_name(format.pixel_format),
                "try the other pixel format (I420 or YUYV)");
  // srcRange 1: RGB is full range; dstRange 0: YUV in 16..235 (libswscale/swscale.h).
  const int* bt601 = sws_getCoefficients(SWS_CS_ITU601);
  sws_setColorspaceDetails(sws_.get(), bt601, 1, bt601, 0, 0, 1 << 16, 1 << 16);
}

V4l2Converter::~V4l2Converter() = default;

void V4l2Converter::convert(const uint8_t* bgr, int stride, uint8_t* out) {
  if (!padded_.empty()) {
    media::pad_by_replication(bgr, stride, width_, height_, padded_.data(), format_.width,
                              format_.height);
    bgr = padded_.data();
    stride = format_.width * 3;
  }
  uint8_t* planes[4] = {out, nullptr, nullptr, nullptr};
  int lines[4] = {format_.bytes_per_line, 0, 0, 0};
  if (format_.pixel_format == V4l2PixelFormat::I420) {
    // Y, then U, then V, chroma rows half as long (V4L2 spec pixfmt-yuv-planar.rst).
    const size_t luma = static_cast<size_t>(format_.bytes_per_line) * format_.height;
    const size_t chroma = static_cast<size_t>(format_.bytes_per_line / 2) * (format_.height / 2);
    planes[1] = out + luma;
    planes[2] = out + luma + chroma;
    lines[1] = lines[2] = format_.bytes_per_line / 2;
  }
  const uint8_t* src[4] = {bgr, nullptr, nullptr, nullptr};
  int src_lines[4] = {stride, 0, 0, 0};
  sws_scale(sws_.get(), src, src_lines, 0, format_.height, planes, lines);
}

}  // namespace musetalk::live
