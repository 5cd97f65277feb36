// media::parsing_input and media::blend_mask: the BiSeNet input crop (black outside the frame,
// RGB order) and the blending mask's rules on synthetic label maps (which labels each mode
// keeps, the nose left out of the jaw, the face box, the upper boundary), and the errors for bad
// inputs. The parity kind "blend" checks the masks against upstream's on a real label map.

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <vector>

#include "files/error.h"
#include "media/face_mask.h"

namespace musetalk::media {
namespace {

using avatar::Box;

Image labels_filled(uint8_t label) {
  Image img;
  img.width = img.height = 512;
  img.channels = 1;
  img.pixels.assign(512 * 512, label);
  return img;
}

uint8_t at(const Image& img, int x, int y, int c = 0) {
  return img.pixels[(static_cast<size_t>(y) * img.width + x) * img.channels + c];
}

long long total(const Image& img) {
  long long s = 0;
  for (uint8_t v : img.pixels) s += v;
  return s;
}

const Box kWhole{0, 0, 512, 512};

TEST(ParsingMode, NamesRoundTrip) {
  for (ParsingMode m : {ParsingMode::Jaw, ParsingMode::Raw, ParsingMode::Neck}) {
    EXPECT_EQ(parse_parsing_mode(parsing_mode_name(m), "--parsing-mode"), m);
  }
  EXPECT_STREQ(parsing_mode_name(ParsingMode::Jaw), "jaw");
  EXPECT_STREQ(parsing_mode_name(ParsingMode::Raw), "raw");
  EXPECT_STREQ(parsing_mode_name(ParsingMode::Neck), "neck");
}

TEST(ParsingMode, UnknownNameNamesTheOption) {
  try {
    parse_parsing_mode("chin", "--parsing-mode");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), "--parsing-mode");
    EXPECT_NE(e.problem().find("chin"), std::string::npos);
  }
  EXPECT_THROW(parse_parsing_mode("Jaw", "mode"), Error);
  EXPECT_THROW(parse_parsing_mode("", "mode"), Error);
}

// A crop inside the frame at 512x512 is not resampled: the frame's pixels with R first.
TEST(ParsingInput, SameSizeCropIsTheFrameInRgb) {
  Image frame;
  frame.width = 600;
  frame.height = 550;
  frame.channels = 3;
  frame.pixels.resize(600 * 550 * 3);
  for (size_t i = 0; i < frame.pixels.size(); ++i) frame.pixels[i] = static_cast<uint8_t>(i % 253);
  const Image in = parsing_input(frame, Box{30, 20, 542, 532});
  ASSERT_EQ(in.width, 512);
  ASSERT_EQ(in.height, 512);
  ASSERT_EQ(in.channels, 3);
  for (int y : {0, 17, 511}) {
    for (int x : {0, 300, 511}) {
      for (int c = 0; c < 3; ++c) EXPECT_EQ(at(in, x, y, c), at(frame, x + 30, y + 20, 2 - c));
    }
  }
}

// PIL's crop fills what lies outside the frame with black; the rest keeps the frame's colour.
TEST(ParsingInput, OutsideTheFrameIsBlack) {
  Image frame;
  frame.width = frame.height = 100;
  frame.channels = 3;
  frame.pixels.resize(100 * 100 * 3);
  for (size_t i = 0; i < frame.pixels.size(); i += 3) {
    frame.pixels[i] = 10;  // B
    frame.pixels[i + 1] = 20;
    frame.pixels[i + 2] = 30;  // R
  }
  // The crop's top-left quarter lies outside the frame.
  const Image in = parsing_input(frame, Box{-100, -100, 100, 100});
  ASSERT_EQ(in.width, 512);
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(at(in, 0, 0, c), 0);
    EXPECT_EQ(at(in, 200, 200, c), 0);
    EXPECT_EQ(at(in, 511, 100, c), 0);  // above the frame
    EXPECT_EQ(at(in, 100, 511, c), 0);  // left of it
  }
  EXPECT_EQ(at(in, 511, 511, 0), 30);
  EXPECT_EQ(at(in, 511, 511, 1), 20);
  EXPECT_EQ(at(in, 511, 511, 2), 10);
  EXPECT_EQ(at(in, 300, 300, 0), 30);
}

TEST(ParsingInput, BadInputsThrow) {
  Image grey;
  grey.width = grey.height = 8;
  grey.channels = 1;
  grey.pixels.assign(64, 0);
  EXPECT_THROW(parsing_input(grey, Box{0, 0, 8, 8}), Error);
  Image colour = grey;
  colour.channels = 3;
  colour.pixels.assign(192, 0);
  EXPECT_THROW(parsing_input(colour, Box{0, 0, 0, 8}), Error);
  EXPECT_THROW(parsing_input(colour, Box{4, 4, 2, 8}), Error);
  EXPECT_THROW(parsing_input(Image{}, Box{0, 0, 8, 8}), Error);
}

// Which labels each mode keeps, on label maps of one label: a uniform map gives a uniform mask
// (255 or 0) through the resize and the blur, with the face box and crop box the whole map and
// no upper cut.
TEST(BlendMask, ModeLabelRules) {
  const std::set<int> raw{1, 11, 12, 13};
  const std::set<int> neck{1, 11, 12, 13, 14};
  const std::set<int> jaw{1, 11, 12, 13};  // skin (dilated), mouth, lips; never the nose (10)
  for (int label = 0; label < 19; ++label) {
    const Image labels = labels_filled(static_cast<uint8_t>(label));
    for (auto [mode, keep] :
         {std::pair{ParsingMode::Raw, &raw}, std::pair{ParsingMode::Neck, &neck},
          std::pair{ParsingMode::Jaw, &jaw}}) {
      const Image mask = blend_mask(labels, kWhole, kWhole, mode, 90, 0.0);
      ASSERT_EQ(mask.width, 512);
      ASSERT_EQ(mask.height, 512);
      ASSERT_EQ(mask.channels, 1);
      const uint8_t expected = keep->count(label) ? 255 : 0;
      EXPECT_EQ(mask.pixels, std::vector<uint8_t>(512 * 512, expected))
          << "label " << label << " mode " << parsing_mode_name(mode);
    }
  }
}

// Jaw grows the skin downward into the background below it (cv2.dilate with the cone kernel),
// where raw keeps the skin alone; the nose is never added, so skin over nose gives raw's mask.
TEST(BlendMask, JawDilatesSkinButNotIntoTheNose) {
  Image over_background = labels_filled(0);
  Image over_nose = labels_filled(10);
  for (size_t i = 0; i < 256 * 512; ++i) over_background.pixels[i] = over_nose.pixels[i] = 1;
  const Image raw = blend_mask(over_background, kWhole, kWhole, ParsingMode::Raw, 90, 0.0);
  const Image jaw = blend_mask(over_background, kWhole, kWhole, ParsingMode::Jaw, 90, 0.0);
  EXPECT_GT(total(jaw), total(raw));
  for (int x : {0, 256, 511}) EXPECT_GT(at(jaw, x, 270), at(raw, x, 270)) << "column " << x;
  EXPECT_EQ(blend_mask(over_nose, kWhole, kWhole, ParsingMode::Jaw, 90, 0.0).pixels,
            blend_mask(over_nose, kWhole, kWhole, ParsingMode::Raw, 90, 0.0).pixels);
  // The nose in the neck mode is left out too.
  EXPECT_EQ(blend_mask(over_nose, kWhole, kWhole, ParsingMode::Neck, 90, 0.0).pixels, raw.pixels);
}

// A crop under 20 pixels wide gets a 1x1 blur (no change), so the cut shows exactly: only the
// face box, and only rows from int(height * ratio) down.
TEST(BlendMask, FaceBoxAndUpperBoundary) {
  const Image skin = labels_filled(1);
  const Box crop{100, 200, 116, 216};
  const Image mask = blend_mask(skin, Box{104, 202, 112, 214}, crop, ParsingMode::Raw, 80);
  ASSERT_EQ(mask.width, 16);
  ASSERT_EQ(mask.height, 16);
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 16; ++x) {
      const bool inside = x >= 4 && x < 12 && y >= 8 && y < 14;  // rows 0..7 above the boundary
      EXPECT_EQ(at(mask, x, y), inside ? 255 : 0) << "at " << x << "," << y;
    }
  }
  // A face box larger than the crop box is clipped to it; ratio 0.25 keeps rows 4 and below.
  const Image wide = blend_mask(skin, Box{0, 0, 1000, 1000}, crop, ParsingMode::Neck, 80, 0.25);
  for (int y = 0; y < 16; ++y) EXPECT_EQ(at(wide, 7, y), y >= 4 ? 255 : 0) << "row " << y;
  // Ratio 1 cuts everything.
  EXPECT_EQ(total(blend_mask(skin, crop, crop, ParsingMode::Jaw, 80, 1.0)), 0);
}

// The mask is blurred with cv2.GaussianBlur's kernel int(0.1 * width // 2 * 2) + 1: at 402
// pixels 41 wide (sigma 6.5), so the cut at row 201 spreads over at most 20 rows either side.
TEST(BlendMask, BlurredEdgeAtTheBoundary) {
  const Box crop{0, 0, 402, 402};
  const Image mask = blend_mask(labels_filled(1), crop, crop, ParsingMode::Raw, 90);
  const int x = 201;
  EXPECT_EQ(at(mask, x, 180), 0);  // the kernel does not reach the cut
  EXPECT_GT(at(mask, x, 190), 0);
  EXPECT_LT(at(mask, x, 212), 255);
  EXPECT_EQ(at(mask, x, 221), 255);
  EXPECT_EQ(at(mask, x, 401), 255);
  EXPECT_NEAR(at(mask, x, 200) + at(mask, x, 201), 255, 2);  // symmetric about the edge
}

TEST(BlendMask, BadInputsThrow) {
  const Image skin = labels_filled(1);
  Image small = skin;
  small.width = small.height = 256;
  small.pixels.resize(256 * 256);
  EXPECT_THROW(blend_mask(small, kWhole, kWhole, ParsingMode::Raw, 80), Error);
  Image colour = skin;
  colour.channels = 3;
  EXPECT_THROW(blend_mask(colour, kWhole, kWhole, ParsingMode::Raw, 80), Error);
  Image bad_label = skin;
  bad_label.pixels[1000] = 19;
  EXPECT_THROW(blend_mask(bad_label, kWhole, kWhole, ParsingMode::Raw, 80), Error);
  EXPECT_THROW(blend_mask(skin, Box{}, kWhole, ParsingMode::Raw, 80), Error);
  EXPECT_THROW(blend_mask(skin, kWhole, Box{5, 5, 5, 9}, ParsingMode::Raw, 80), Error);
  EXPECT_THROW(blend_mask(skin, kWhole, kWhole, ParsingMode::Jaw, -1), Error);
  EXPECT_THROW(blend_mask(skin, kWhole, kWhole, ParsingMode::Jaw, 257), Error);
  EXPECT_THROW(blend_mask(skin, kWhole, kWhole, ParsingMode::Raw, 80, -0.1), Error);
  EXPECT_THROW(blend_mask(skin, kWhole, kWhole, ParsingMode::Raw, 80, 1.5), Error);
}

}  // namespace
}  // namespace musetalk::media
