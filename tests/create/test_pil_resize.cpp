// media::pil_resize: Pillow's Image.resize with BILINEAR and BICUBIC on 8-bit images (Pillow
// src/libImaging/Resample.c), checked on cases worked out by hand from its weights and rounding,
// and on properties: the same size is a copy, a flat image stays flat, shrinking averages
// (antialiasing), channels are resampled alike. The parity kind "blend" checks it against PIL's
// own output through the blending masks.

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "files/error.h"
#include "media/pil_resize.h"

namespace musetalk::media {
namespace {

Image make(int width, int height, int channels, std::vector<uint8_t> pixels) {
  Image img;
  img.width = width;
  img.height = height;
  img.channels = channels;
  img.pixels = std::move(pixels);
  return img;
}

Image flat(int width, int height, int channels, uint8_t value) {
  return make(width, height, channels,
              std::vector<uint8_t>(static_cast<size_t>(width) * height * channels, value));
}

// A deterministic image with every value in use.
Image pattern(int width, int height, int channels) {
  Image img = flat(width, height, channels, 0);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<uint8_t>(i * 37 % 251);
  return img;
}

TEST(PilResize, SameSizeIsACopy) {
  const Image in = pattern(13, 7, 3);
  for (PilFilter f : {PilFilter::Bilinear, PilFilter::Bicubic}) {
    const Image out = pil_resize(in, 13, 7, f);
    EXPECT_EQ(out.width, 13);
    EXPECT_EQ(out.height, 7);
    EXPECT_EQ(out.channels, 3);
    EXPECT_EQ(out.pixels, in.pixels);
  }
}

TEST(PilResize, FlatStaysFlat) {
  for (int channels : {1, 3}) {
    for (PilFilter f : {PilFilter::Bilinear, PilFilter::Bicubic}) {
      for (uint8_t v : {uint8_t{0}, uint8_t{1}, uint8_t{128}, uint8_t{254}, uint8_t{255}}) {
        const Image in = flat(37, 23, channels, v);
        for (auto [w, h] : {std::pair{512, 512}, std::pair{5, 3}, std::pair{37, 9},
                            std::pair{80, 23}, std::pair{11, 100}}) {
          const Image out = pil_resize(in, w, h, f);
          ASSERT_EQ(out.width, w);
          ASSERT_EQ(out.height, h);
          ASSERT_EQ(out.channels, channels);
          EXPECT_EQ(out.pixels, flat(w, h, channels, v).pixels)
              << "value " << int(v) << " to " << w << "x" << h;
        }
      }
    }
  }
}

// [0, 255] doubled with BILINEAR: centres 0.25, 0.75, 1.25, 1.75 of the input; the inner two mix
// the pixels 3:1 and 1:3 (63.75 and 191.25, rounded), the outer two lie past the last centre
// and read one pixel each.
TEST(PilResize, BilinearUpscaleByHand) {
  const Image out = pil_resize(make(2, 1, 1, {0, 255}), 4, 1, PilFilter::Bilinear);
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{0, 64, 191, 255}));
  // The same along the other axis (the vertical pass alone).
  const Image col = pil_resize(make(1, 2, 1, {0, 255}), 1, 4, PilFilter::Bilinear);
  EXPECT_EQ(col.pixels, (std::vector<uint8_t>{0, 64, 191, 255}));
}

// [0, 0, 255, 255] halved with BICUBIC (a = -0.5): the support doubles to 4 input pixels each
// side; output 0 (centre 1) weighs inputs 0..3 by cubic(-0.25, 0.25, 0.75, 1.25) / 2 =
// 0.8672, 0.8672, 0.2266, -0.0703 over their sum 1.8906, so 255 * 0.15625 / 1.890625 = 21.07
// -> 21, and output 1 mirrors it: 233.93 -> 234.
TEST(PilResize, BicubicDownscaleByHand) {
  const Image out = pil_resize(make(4, 1, 1, {0, 0, 255, 255}), 2, 1, PilFilter::Bicubic);
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{21, 234}));
}

// Bicubic overshoots at an edge when enlarging; the result is clipped to 0..255.
TEST(PilResize, BicubicClipsOvershoot) {
  const Image out = pil_resize(make(4, 1, 1, {0, 0, 255, 255}), 16, 1, PilFilter::Bicubic);
  bool saw_low = false, saw_high = false;
  for (uint8_t v : out.pixels) {
    saw_low |= v == 0;
    saw_high |= v == 255;
  }
  EXPECT_TRUE(saw_low);
  EXPECT_TRUE(saw_high);
  for (size_t i = 1; i < out.pixels.size(); ++i) EXPECT_GE(out.pixels[i], out.pixels[i - 1]);
}

// Shrinking one-pixel stripes by 2 averages them (PIL widens the filter by the scale), where a
// point-sampling resize would return the stripes' 0 or 255.
TEST(PilResize, DownscaleAntialiasAverages) {
  Image stripes = flat(64, 64, 1, 0);
  for (int y = 0; y < 64; ++y) {
    for (int x = 1; x < 64; x += 2) stripes.pixels[y * 64 + x] = 255;
  }
  for (PilFilter f : {PilFilter::Bilinear, PilFilter::Bicubic}) {
    const Image out = pil_resize(stripes, 32, 32, f);
    for (int y = 0; y < 32; ++y) {
      for (int x = 2; x < 30; ++x) {  // the filters near the edges see one side of the stripes
        EXPECT_NEAR(out.pixels[y * 32 + x], 128, 1) << "at " << x << "," << y;
      }
    }
  }
}

// The three channels are resampled alike and independently: each channel of a colour result is
// the result for that channel alone.
TEST(PilResize, ChannelsAreIndependent) {
  const Image rgb = pattern(29, 17, 3);
  for (PilFilter f : {PilFilter::Bilinear, PilFilter::Bicubic}) {
    const Image out = pil_resize(rgb, 41, 8, f);
    for (int c = 0; c < 3; ++c) {
      Image grey = flat(29, 17, 1, 0);
      for (int i = 0; i < 29 * 17; ++i) grey.pixels[i] = rgb.pixels[i * 3 + c];
      const Image g = pil_resize(grey, 41, 8, f);
      for (int i = 0; i < 41 * 8; ++i) ASSERT_EQ(out.pixels[i * 3 + c], g.pixels[i]);
    }
  }
}

// A resize of both sides equals the width change followed by the height change (PIL's two
// passes, horizontal first, each rounding to 8 bits).
TEST(PilResize, HorizontalPassThenVertical) {
  const Image in = pattern(20, 12, 1);
  for (PilFilter f : {PilFilter::Bilinear, PilFilter::Bicubic}) {
    const Image wide = pil_resize(in, 31, 12, f);
    const Image tall = pil_resize(in, 20, 30, f);
    EXPECT_EQ(wide.width, 31);
    EXPECT_EQ(tall.height, 30);
    EXPECT_EQ(pil_resize(in, 31, 30, f).pixels, pil_resize(wide, 31, 30, f).pixels);
  }
}

TEST(PilResize, BadInputsThrow) {
  EXPECT_THROW(pil_resize(flat(4, 4, 2, 0), 2, 2, PilFilter::Bilinear), Error);
  EXPECT_THROW(pil_resize(Image{}, 2, 2, PilFilter::Bilinear), Error);
  Image short_buffer = flat(4, 4, 3, 0);
  short_buffer.pixels.pop_back();
  EXPECT_THROW(pil_resize(short_buffer, 2, 2, PilFilter::Bicubic), Error);
  EXPECT_THROW(pil_resize(flat(4, 4, 1, 0), 0, 2, PilFilter::Bicubic), Error);
  EXPECT_THROW(pil_resize(flat(4, 4, 1, 0), 2, -1, PilFilter::Bilinear), Error);
}

}  // namespace
}  // namespace musetalk::media
