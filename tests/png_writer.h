#pragma once
// Test support: PNG files in every layout the PNG specification allows (grey, RGB, palette, grey +
// alpha, RGBA; 1 to 16 bits; tRNS transparency; Adam7 interlacing; an eXIf chunk before or after
// the pixels), written with libpng's full API. OpenCV's cv::imwrite writes only 8/16-bit grey,
// RGB and RGBA, so the PNG decoder's tests make the other layouts here.

#include <cstdint>
#include <string>
#include <vector>

namespace musetalk::test {

struct PngSpec {
  int width = 1, height = 1;
  int bit_depth = 8;        // 1, 2, 4, 8 or 16, as the PNG specification allows for colour_type
  int colour_type = 2;      // 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA (PNG_COLOR_TYPE_*)
  bool interlaced = false;  // Adam7
  // width * height * samples-per-pixel values, row-major, each below 2^bit_depth (palette
  // indices for colour_type 3); packed and byte-swapped here as the format needs.
  std::vector<uint16_t> samples;
  std::vector<uint8_t> palette;  // colour_type 3: R, G, B per entry
  // tRNS: colour_type 3: one alpha per palette entry (may be shorter than the palette); colour
  // type 0: one grey value; colour type 2: R, G, B. Empty: no tRNS chunk.
  std::vector<uint16_t> transparency;
  std::vector<uint8_t> exif;  // eXIf chunk payload (a TIFF header and IFD0); empty: none
  bool exif_after_pixels = false;
};

// The PNG file's bytes. Throws std::runtime_error with libpng's message when libpng refuses spec.
std::vector<uint8_t> encode_png(const PngSpec& spec);

// Writes encode_png(spec) to path.
void write_png_file(const std::string& path, const PngSpec& spec);

// A width x height image of the layout with random samples from seed, below 2^bit_depth; colour
// type 3 gets a full palette (2^bit_depth entries, at most 256, of a fixed pattern) and indices
// into it.
PngSpec random_png(int colour_type, int bit_depth, int width, int height, uint32_t seed);

// Samples per pixel of a PNG colour type: 1, 3, 1, 2 or 4.
int png_samples_per_pixel(int colour_type);

// An EXIF block with the Orientation tag (0x0112) as IFD0's only entry, in Intel ("II") or
// Motorola ("MM") byte order.
std::vector<uint8_t> exif_orientation_block(int orientation, bool intel);

}  // namespace musetalk::test
