#include "media/image_io.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cstring>

#include "files/atomic_file.h"
#include "files/error.h"

namespace musetalk::media {

Image read_png(const std::string& path, int channels) {
  return avatar::read_png_image(path, channels);
}

namespace {

void write_png_mat(const std::string& path, const cv::Mat& mat) {
  std::vector<uint8_t> png;
  bool encoded = false;
  try {
    encoded = cv::imencode(".png", mat, png);
  } catch (const cv::Exception& e) {
    throw Error(path, "PNG encoding failed (" + e.msg + ")", "check the free memory");
  }
  if (!encoded) throw Error(path, "PNG encoding failed", "check the free memory");
  files::write_file_atomically(path, [&](std::ostream& out) {
    out.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  });
}

}  // namespace

void write_png_bgr(const std::string& path, const uint8_t* bgr, int width, int height, int stride) {
  if (!bgr || width <= 0 || height <= 0 || stride < width * 3) {
    throw Error(path,
                "cannot write a " + std::to_string(width) + "x" + std::to_string(height) +
                    " image with rows " + std::to_string(stride) + " bytes apart",
                "pass BGR pixels with a positive size and a stride of at least 3 * width");
  }
  // A view of the caller's pixels: imencode only reads them.
  write_png_mat(path, cv::Mat(height, width, CV_8UC3, const_cast<uint8_t*>(bgr),
                              static_cast<size_t>(stride)));
}

void write_png(const std::string& path, const Image& image) {
  if ((image.channels != 1 && image.channels != 3) || image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * image.channels) {
    throw Error(path, "cannot write an image that is not a packed grey or BGR picture",
                "pass a non-empty media::Image with channels 1 or 3");
  }
  write_png_mat(path, cv::Mat(image.height, image.width, image.channels == 1 ? CV_8UC1 : CV_8UC3,
                              const_cast<uint8_t*>(image.pixels.data())));
}

void pad_by_replication(const uint8_t* bgr, int stride, int width, int height, uint8_t* out,
                        int to_width, int to_height) {
  const size_t row = static_cast<size_t>(width) * 3, out_row = static_cast<size_t>(to_width) * 3;
  for (int y = 0; y < to_height; ++y) {
    const uint8_t* src = bgr + static_cast<size_t>(std::min(y, height - 1)) * stride;
    uint8_t* dst = out + y * out_row;
    std::memcpy(dst, src, row);
    for (size_t x = row; x < out_row; x += 3) std::memcpy(dst + x, src + row - 3, 3);
  }
}

}  // namespace musetalk::media
