#pragma once
// A PNG's size and pixel format from its IHDR chunk, without decoding the image.

#include <string>

namespace musetalk::avatar {

struct PngInfo {
  int width = 0;
  int height = 0;
  int bit_depth = 0;
  int colour_type = 0;  // 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA

  int channels() const;  // 1, 3, 1 (palette), 2 or 4
};

// Throws Error naming the file when it is missing, short, or not a PNG.
PngInfo read_png_info(const std::string& path);

}  // namespace musetalk::avatar
