// The libpng PNG decoder (avatar/png_image.h) on its own, without OpenCV (so it also runs under
// AddressSanitizer): each PNG layout decodes to the pixels cv2.imread's rules give, and every
// damaged or truncated file is an Error naming it, with libpng's errors leaving no leak. The
// comparison with cv::imread itself is in test_png_parity.cpp.
#include <gtest/gtest.h>

#include <png.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "avatar/png_image.h"
#include "files/error.h"
#include "png_writer.h"
#include "test_support.h"

namespace musetalk {
namespace {

using avatar::decode_png_image;
using avatar::Image;
using avatar::read_png_image;
using test::PngSpec;

Image decode(const PngSpec& spec, int channels) {
  const std::vector<uint8_t> bytes = test::encode_png(spec);
  return decode_png_image(bytes.data(), bytes.size(), channels, "test.png");
}

// The sample at (x, y, c) of spec, scaled to 8 bits as libpng's strip_16 / expand_gray do.
int sample8(const PngSpec& s, int x, int y, int c) {
  const int n = test::png_samples_per_pixel(s.colour_type);
  const int v = s.samples[(static_cast<size_t>(y) * s.width + x) * n + c];
  if (s.bit_depth == 16) return v >> 8;
  if (s.bit_depth < 8) return v * 255 / ((1 << s.bit_depth) - 1);
  return v;
}

PngSpec spec_of(int colour_type, int bit_depth, int w = 13, int h = 7, uint32_t seed = 1) {
  return test::random_png(colour_type, bit_depth, w, h, seed);
}

// Expects fn to throw a musetalk::Error naming input whose text contains words.
template <typename Fn>
void expect_error(Fn fn, const std::string& input, const std::string& words) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one about " << input;
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), input) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    EXPECT_FALSE(e.fix().empty()) << e.what();
  }
}

TEST(PngImage, ColourIsBgrAndAlphaDropped) {
  for (int type : {PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA}) {
    for (int depth : {8, 16}) {
      const PngSpec s = spec_of(type, depth);
      const Image img = decode(s, 3);
      ASSERT_EQ(img.width, s.width);
      ASSERT_EQ(img.height, s.height);
      ASSERT_EQ(img.channels, 3);
      ASSERT_EQ(img.pixels.size(), size_t{13} * 7 * 3);
      for (int y = 0; y < s.height; ++y) {
        for (int x = 0; x < s.width; ++x) {
          const uint8_t* p = &img.pixels[(y * s.width + x) * 3];
          for (int c = 0; c < 3; ++c) {
            ASSERT_EQ(p[c], sample8(s, x, y, 2 - c))
                << type << "/" << depth << " at " << x << "," << y << " channel " << c;
          }
        }
      }
    }
  }
}

TEST(PngImage, GreyIsReplicatedInColourAndKeptInGrey) {
  for (int type : {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA}) {
    for (int depth : {1, 2, 4, 8, 16}) {
      if (type == PNG_COLOR_TYPE_GRAY_ALPHA && depth < 8) continue;  // not a PNG layout
      const PngSpec s = spec_of(type, depth);
      const Image bgr = decode(s, 3), grey = decode(s, 1);
      ASSERT_EQ(bgr.channels, 3);
      ASSERT_EQ(grey.channels, 1);
      for (int y = 0; y < s.height; ++y) {
        for (int x = 0; x < s.width; ++x) {
          const int want = sample8(s, x, y, 0);
          const size_t i = static_cast<size_t>(y) * s.width + x;
          ASSERT_EQ(grey.pixels[i], want) << type << "/" << depth << " at " << x << "," << y;
          for (int c = 0; c < 3; ++c) ASSERT_EQ(bgr.pixels[i * 3 + c], want);
        }
      }
    }
  }
}

TEST(PngImage, PaletteIsExpandedAndItsTransparencyDropped) {
  for (int depth : {1, 2, 4, 8}) {
    for (bool trns : {false, true}) {
      PngSpec s = spec_of(PNG_COLOR_TYPE_PALETTE, depth);
      if (trns) s.transparency = {0, 128, 255};
      const Image img = decode(s, 3);
      for (size_t i = 0; i < s.samples.size(); ++i) {
        const uint8_t* rgb = &s.palette[s.samples[i] * 3];
        ASSERT_EQ(img.pixels[i * 3], rgb[2]) << depth << " pixel " << i;
        ASSERT_EQ(img.pixels[i * 3 + 1], rgb[1]);
        ASSERT_EQ(img.pixels[i * 3 + 2], rgb[0]);
      }
    }
  }
}

TEST(PngImage, GreyReadIsLumaOfTheColours) {
  const PngSpec s = spec_of(PNG_COLOR_TYPE_RGB, 8);
  const Image grey = decode(s, 1);
  ASSERT_EQ(grey.channels, 1);
  for (size_t i = 0; i < grey.pixels.size(); ++i) {
    const double luma =
        0.299 * s.samples[i * 3] + 0.587 * s.samples[i * 3 + 1] + 0.114 * s.samples[i * 3 + 2];
    ASSERT_NEAR(grey.pixels[i], luma, 1.0) << "pixel " << i;
  }
}

TEST(PngImage, InterlacedDecodesAsProgressive) {
  for (int type : {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_PALETTE}) {
    PngSpec s = spec_of(type, type == PNG_COLOR_TYPE_GRAY ? 2 : 8, 37, 19, 7);
    const Image progressive = decode(s, 3);
    s.interlaced = true;
    EXPECT_EQ(decode(s, 3).pixels, progressive.pixels) << type;
  }
}

TEST(PngImage, ExifOrientationTurnsTheImage) {
  // 3 x 2 grey: rows {0 1 2} {3 4 5}.
  PngSpec s;
  s.width = 3;
  s.height = 2;
  s.colour_type = PNG_COLOR_TYPE_GRAY;
  s.samples = {0, 1, 2, 3, 4, 5};
  const std::vector<std::vector<uint8_t>> want = {
      {0, 1, 2, 3, 4, 5},  // 1: as stored
      {2, 1, 0, 5, 4, 3},  // 2: mirrored
      {5, 4, 3, 2, 1, 0},  // 3: rotated 180
      {3, 4, 5, 0, 1, 2},  // 4: flipped
      {0, 3, 1, 4, 2, 5},  // 5: transposed
      {3, 0, 4, 1, 5, 2},  // 6: rotated 90 clockwise
      {5, 2, 4, 1, 3, 0},  // 7: transposed across the other diagonal
      {2, 5, 1, 4, 0, 3},  // 8: rotated 90 anticlockwise
  };
  for (int o = 1; o <= 8; ++o) {
    for (bool intel : {true, false}) {
      for (bool after : {false, true}) {
        s.exif = test::exif_orientation_block(o, intel);
        s.exif_after_pixels = after;
        const Image img = decode(s, 1);
        EXPECT_EQ(img.width, o >= 5 ? 2 : 3) << o;
        EXPECT_EQ(img.height, o >= 5 ? 3 : 2) << o;
        EXPECT_EQ(img.pixels, want[o - 1]) << "orientation " << o;
      }
    }
  }
}

TEST(PngImage, MissingFileIsAnErrorNamingIt) {
  test::TempDir dir;
  const std::string path = dir.file("absent.png");
  expect_error([&] { read_png_image(path, 3); }, path, "not found");
}

TEST(PngImage, TextFileIsAnErrorNamingIt) {
  test::TempDir dir;
  const std::string path = dir.file("frame.png");
  { std::ofstream(path) << "not an image"; }
  expect_error([&] { read_png_image(path, 3); }, path, "not a readable PNG");
  expect_error([&] { read_png_image(path, 1); }, path, "not a readable PNG");
}

TEST(PngImage, OnlyGreyOrBgrCanBeAskedFor) {
  test::TempDir dir;
  const std::string path = dir.file("frame.png");
  test::write_png_file(path, spec_of(PNG_COLOR_TYPE_RGB, 8));
  for (int channels : {0, 2, 4}) {
    expect_error([&] { read_png_image(path, channels); }, path, "channels");
  }
  EXPECT_EQ(read_png_image(path, 3).channels, 3);
}

// Every prefix of a PNG (interlaced, so that the pixels are read in passes) is an error naming
// the file, up to the last byte of IEND: the sanitizer build checks that libpng's longjmp from
// each point leaks and overruns nothing.
TEST(PngImage, EveryTruncationIsAnErrorNamingTheFile) {
  PngSpec s = spec_of(PNG_COLOR_TYPE_RGB_ALPHA, 16, 9, 6, 3);
  s.interlaced = true;
  s.exif = test::exif_orientation_block(6, true);
  s.exif_after_pixels = true;
  const std::vector<uint8_t> bytes = test::encode_png(s);
  for (size_t n = 0; n < bytes.size(); ++n) {
    for (int channels : {3, 1}) {
      expect_error([&] { decode_png_image(bytes.data(), n, channels, "cut.png"); }, "cut.png",
                   "not a readable PNG");
    }
  }
  EXPECT_EQ(decode_png_image(bytes.data(), bytes.size(), 3, "whole.png").width, 6);
}

// Each byte of a PNG changed in turn: the file decodes (a damaged ancillary chunk is skipped) or
// is an Error naming it; nothing else happens. Only the lowest bit changes: libpng's limit on a
// chunk's length is a warning when reading, so a length of up to 2^31 would really be allocated
// (as in OpenCV), which the sanitizer build forbids above 256 MiB.
TEST(PngImage, DamagedBytesDecodeOrAreErrors) {
  PngSpec s = spec_of(PNG_COLOR_TYPE_PALETTE, 4, 11, 5, 5);
  s.transparency = {0, 255, 7};
  s.exif = test::exif_orientation_block(3, false);
  const std::vector<uint8_t> good = test::encode_png(s);
  int errors = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    std::vector<uint8_t> bad = good;
    bad[i] ^= 0x01;
    for (int channels : {3, 1}) {
      try {
        const Image img = decode_png_image(bad.data(), bad.size(), channels, "bad.png");
        EXPECT_EQ(img.pixels.size(), static_cast<size_t>(img.width) * img.height * channels);
      } catch (const Error& e) {
        EXPECT_EQ(e.input(), "bad.png");
        ++errors;
      }
    }
  }
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace musetalk
