#pragma once
// PNG images (avatar frames and masks, --frames-dir output) as upstream reads and writes them
// (MuseTalk scripts/realtime_inference.py: cv2.imread, cv2.imwrite): read with the libpng decoder
// of avatar/png_image.h, which gives cv2.imread's pixels, written through OpenCV's imgcodecs; and
// the edge padding of BGR frames for encoders and devices that need a larger size.

#include <cstdint>
#include <string>
#include <vector>

#include "avatar/png_image.h"

namespace musetalk::media {

// width, height, channels (3: BGR interleaved, 1: grey), pixels (row-major, no padding).
using Image = avatar::Image;

// Reads a PNG as BGR (channels 3, cv2.IMREAD_COLOR: grey is replicated, alpha dropped, 16-bit
// stripped to 8) or grey (channels 1, cv2.IMREAD_GRAYSCALE: colour converted to luma), with
// avatar::read_png_image. Throws musetalk::Error naming the file when it is missing, not a PNG,
// damaged or truncated.
Image read_png(const std::string& path, int channels);

// Writes BGR pixels (rows `stride` bytes apart) as a lossless RGB PNG, atomically (complete or
// not at all; cv2.imwrite's default settings). Throws musetalk::Error naming the file.
void write_png_bgr(const std::string& path, const uint8_t* bgr, int width, int height, int stride);

// Writes a packed image, grey (channels 1: an 8-bit grey PNG, as cv2.imwrite stores a 2-D mask)
// or BGR (channels 3), the same way. Throws musetalk::Error naming the file.
void write_png(const std::string& path, const Image& image);

// Copies a width x height BGR image (rows stride bytes apart) into the packed to_width x
// to_height BGR image at out (to_width * to_height * 3 bytes; to_width >= width, to_height >=
// height), repeating the last column and row into the extra ones: the edge replication of
// cv2.BORDER_REPLICATE. Mp4Writer pads odd sides to even with it, live::V4l2Converter a frame to
// the device's size.
void pad_by_replication(const uint8_t* bgr, int stride, int width, int height, uint8_t* out,
                        int to_width, int to_height);

}  // namespace musetalk::media
