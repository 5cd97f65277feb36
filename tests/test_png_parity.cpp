// The libpng PNG decoder (avatar/png_image.h, behind media::read_png) against cv::imread itself,
// which upstream MuseTalk reads avatars with (scripts/realtime_inference.py): the same pixels for
// IMREAD_COLOR and IMREAD_GRAYSCALE on every PNG layout, the EXIF orientation, the repository's
// sample avatar; and a file is refused exactly when cv::imread returns no image.
#include <gtest/gtest.h>

#include <png.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "avatar/png_image.h"
#include "files/error.h"
#include "media/image_io.h"
#include "png_writer.h"
#include "test_support.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;
using test::PngSpec;

// cv::imread's pixels, packed; channels 0 when it returns no image.
avatar::Image opencv_read(const std::string& path, int channels) {
  const cv::Mat mat = cv::imread(path, channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  avatar::Image img;
  if (mat.empty()) return img;
  EXPECT_EQ(mat.depth(), CV_8U) << path;
  EXPECT_EQ(mat.channels(), channels) << path;
  img.width = mat.cols;
  img.height = mat.rows;
  img.channels = mat.channels();
  const size_t row = static_cast<size_t>(img.width) * img.channels;
  img.pixels.resize(row * img.height);
  for (int y = 0; y < img.height; ++y) std::memcpy(&img.pixels[row * y], mat.ptr(y), row);
  return img;
}

// Decodes path both ways in both modes and expects the same outcome: the same pixels, or an
// Error naming the file where cv::imread gives no image. Returns how many modes decoded.
int expect_same_as_opencv(const std::string& path, const std::string& what) {
  int decoded = 0;
  for (int channels : {3, 1}) {
    const avatar::Image want = opencv_read(path, channels);
    try {
      const avatar::Image got = media::read_png(path, channels);
      EXPECT_NE(want.channels, 0) << what << ": decoded, where cv::imread gives no image";
      EXPECT_EQ(got.width, want.width) << what << ", channels " << channels;
      EXPECT_EQ(got.height, want.height) << what << ", channels " << channels;
      EXPECT_EQ(got.channels, channels) << what;
      EXPECT_TRUE(got.pixels == want.pixels) << what << ", channels " << channels;
      ++decoded;
    } catch (const Error& e) {
      EXPECT_EQ(want.channels, 0) << what << ": " << e.what() << ", where cv::imread decodes it";
      EXPECT_EQ(e.input(), path);
    }
  }
  return decoded;
}

std::string name_of(const PngSpec& s) {
  return "type " + std::to_string(s.colour_type) + ", " + std::to_string(s.bit_depth) + " bits, " +
         std::to_string(s.width) + "x" + std::to_string(s.height) +
         (s.interlaced ? ", interlaced" : "") + (s.transparency.empty() ? "" : ", tRNS");
}

TEST(PngParity, EveryLayoutDecodesAsCvImread) {
  test::TempDir dir;
  struct Layout {
    int type;
    std::vector<int> depths;
  };
  const std::vector<Layout> layouts = {
      {PNG_COLOR_TYPE_GRAY, {1, 2, 4, 8, 16}}, {PNG_COLOR_TYPE_RGB, {8, 16}},
      {PNG_COLOR_TYPE_PALETTE, {1, 2, 4, 8}},  {PNG_COLOR_TYPE_GRAY_ALPHA, {8, 16}},
      {PNG_COLOR_TYPE_RGB_ALPHA, {8, 16}},
  };
  const int sizes[][2] = {{1, 1}, {7, 3}, {33, 17}};
  int files = 0;
  uint32_t seed = 0;
  for (const Layout& l : layouts) {
    for (int depth : l.depths) {
      for (const auto& size : sizes) {
        for (bool interlaced : {false, true}) {
          for (bool trns : {false, true}) {
            if (trns && (l.type & PNG_COLOR_MASK_ALPHA)) continue;  // not allowed with alpha
            PngSpec s = test::random_png(l.type, depth, size[0], size[1], ++seed);
            s.interlaced = interlaced;
            if (trns && l.type == PNG_COLOR_TYPE_PALETTE) {
              s.transparency = {0, 99, 255};  // no more entries than the palette has
              s.transparency.resize(std::min<size_t>(3, s.palette.size() / 3));
            }
            if (trns && l.type == PNG_COLOR_TYPE_GRAY) s.transparency = {s.samples[0]};
            if (trns && l.type == PNG_COLOR_TYPE_RGB) {
              s.transparency = {s.samples[0], s.samples[1], s.samples[2]};
            }
            const std::string path = dir.file("layout" + std::to_string(files++) + ".png");
            test::write_png_file(path, s);
            EXPECT_EQ(expect_same_as_opencv(path, name_of(s)), 2) << name_of(s);
          }
        }
      }
    }
  }
  EXPECT_EQ(files, 156);
}

TEST(PngParity, ExifOrientationTurnsAsCvImread) {
  test::TempDir dir;
  for (int orientation = 0; orientation <= 9; ++orientation) {
    for (bool intel : {true, false}) {
      for (bool after : {false, true}) {
        PngSpec s = test::random_png(PNG_COLOR_TYPE_RGB, 8, 5, 3, 40 + orientation);
        s.exif = test::exif_orientation_block(orientation, intel);
        s.exif_after_pixels = after;
        const std::string path = dir.file("exif.png");
        test::write_png_file(path, s);
        const std::string what = "orientation " + std::to_string(orientation) +
                                 (intel ? " II" : " MM") + (after ? " after IDAT" : "");
        EXPECT_EQ(expect_same_as_opencv(path, what), 2) << what;
      }
    }
  }
}

TEST(PngParity, SampleAvatarDecodesAsCvImread) {
  int images = 0;
  for (const char* folder : {"frames", "masks"}) {
    for (const auto& e : fs::directory_iterator(test::sample_dir() + "/avatar/" + folder)) {
      EXPECT_EQ(expect_same_as_opencv(e.path().string(), e.path().string()), 2);
      ++images;
    }
  }
  EXPECT_EQ(images, 12);
  // Upstream MuseTalk's own avatar folder, written by cv2.imwrite, where the shared media has it.
  const std::string upstream = test::media_dir() + "/avatars/yongen_v15";
  for (const char* file : {"/full_imgs/00000000.png", "/mask/00000000.png"}) {
    if (fs::exists(upstream + file)) {
      EXPECT_EQ(expect_same_as_opencv(upstream + file, file), 2);
    }
  }
}

TEST(PngParity, RefusedExactlyWhereCvImreadGivesNoImage) {
  test::TempDir dir;
  const std::string absent = dir.file("absent.png");
  EXPECT_EQ(expect_same_as_opencv(absent, "missing file"), 0);
  const std::string text = dir.file("text.png");
  { std::ofstream(text) << "not an image"; }
  EXPECT_EQ(expect_same_as_opencv(text, "text file"), 0);

  // Every prefix of a file, and every single byte damaged: libpng's CRC and chunk checks decide,
  // the same way for both readers (a damaged ancillary chunk is skipped, a critical one refused).
  // The top bit: a chunk length of 2^31 or more is an error, never an allocation.
  PngSpec s = test::random_png(PNG_COLOR_TYPE_PALETTE, 4, 6, 4, 77);
  s.transparency = {10, 20};
  s.interlaced = true;
  s.exif = test::exif_orientation_block(6, true);
  s.exif_after_pixels = true;
  const std::vector<uint8_t> good = test::encode_png(s);
  const std::string path = dir.file("damaged.png");
  auto write = [&](const std::vector<uint8_t>& bytes, size_t n) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(n));
  };
  for (size_t n = 0; n < good.size(); ++n) {
    write(good, n);
    EXPECT_EQ(expect_same_as_opencv(path, "cut at " + std::to_string(n)), 0) << n;
  }
  int decoded = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    std::vector<uint8_t> bad = good;
    bad[i] ^= 0x80;
    write(bad, bad.size());
    decoded += expect_same_as_opencv(path, "byte " + std::to_string(i) + " damaged");
  }
  EXPECT_GT(decoded, 0);  // the damaged eXIf chunk
}

}  // namespace
}  // namespace musetalk
