#pragma once
// PNG images (avatar frames and masks, --frames-dir output) through FFmpeg's PNG codec.

#include <cstdint>
#include <string>
#include <vector>

namespace musetalk::media {

struct Image {
  int width = 0, height = 0, channels = 0;  // 3: BGR interleaved, 1: grey
  std::vector<uint8_t> pixels;              // row-major, no padding
};

// Reads a PNG as BGR (channels 3) or grey (channels 1). Errors name the file.
Image read_png(const std::string& path, int channels);

// Writes BGR pixels (rows `stride` bytes apart) as a lossless RGB PNG, atomically.
void write_png_bgr(const std::string& path, const uint8_t* bgr, int width, int height, int stride);

}  // namespace musetalk::media
