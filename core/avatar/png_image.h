#pragma once
// Decoding PNG images (the avatar's frames and masks) with libpng, without LibTorch, FFmpeg or
// OpenCV, so that a host such as the OBS source can read an avatar through musetalk_core alone.
// The pixels are those of cv2.imread, which upstream MuseTalk reads them with
// (scripts/realtime_inference.py): the same libpng transformations as OpenCV 4.6's PNG reader
// (opencv modules/imgcodecs/src/grfmt_png.cpp, PngDecoder::readHeader and readData) and the same
// EXIF orientation (modules/imgcodecs/src/loadsave.cpp ApplyExifOrientation, exif.cpp).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace musetalk::avatar {

struct Image {
  int width = 0, height = 0, channels = 0;  // 3: BGR interleaved, 1: grey
  std::vector<uint8_t> pixels;              // row-major, no padding
};

// Reads the PNG file at path as BGR (channels 3, cv2.IMREAD_COLOR: grey is replicated, a palette
// expanded, alpha and tRNS transparency dropped, 16-bit samples stripped to their high byte) or
// grey (channels 1, cv2.IMREAD_GRAYSCALE: colour converted to luma 0.299 R + 0.587 G + 0.114 B
// by libpng), interlaced or not, turned as its EXIF orientation (an eXIf chunk) says. Throws
// musetalk::Error naming the file when it is missing, not a PNG, damaged or truncated, or larger
// than cv2.imread accepts (2^30 pixels).
Image read_png_image(const std::string& path, int channels);

// The same for a PNG file's bytes already in memory; errors name `name`.
Image decode_png_image(const uint8_t* data, size_t size, int channels, const std::string& name);

}  // namespace musetalk::avatar
