// The face box from landmarks and the detector box (upstream get_landmark_and_bbox) and its
// fixes: clipping to the frame, no placeholder boxes, the given --box checked.
#include <gtest/gtest.h>

#include "avatar/face_box_rules.h"
#include "files/error.h"

namespace musetalk::avatar {
namespace {

// A frontal face: jaw 0..16 from x 100 to 260 along y 200..300, nose bridge 27..30 at x 180.
FaceLandmarks frontal_face() {
  FaceLandmarks lm{};
  for (int k = 0; k < 68; ++k) lm[k] = {180, 220};
  for (int k = 0; k <= 16; ++k) lm[k] = {100 + 10 * k, 200 + (k <= 8 ? k : 16 - k) * 12};
  lm[27] = {180, 180};
  lm[28] = {180, 192};
  lm[29] = {180, 204};
  lm[30] = {180, 220};
  return lm;
}

TEST(FaceBoxRules, LandmarkBoxIsCentredOnPoint29) {
  const FaceLandmarks lm = frontal_face();
  const FaceBoxChoice c = choose_face_box(lm, Box{90, 150, 270, 310}, {}, 640, 480);
  ASSERT_TRUE(c.box);
  EXPECT_EQ(c.source, "landmarks");
  // y_max = 296 (jaw point 8), y_ref = 204: half 92, y1 = 112.
  EXPECT_EQ(*c.box, (Box{100, 112, 260, 296}));
}

TEST(FaceBoxRules, BboxShiftMovesTheCentreAndV15MarginExtendsTheBottom) {
  const FaceLandmarks lm = frontal_face();
  const FaceBoxChoice shifted = choose_face_box(lm, Box{90, 150, 270, 310}, {5, 0}, 640, 480);
  EXPECT_EQ(*shifted.box, (Box{100, 122, 260, 296}));
  const FaceBoxChoice margin =
      choose_face_box(lm, Box{90, 150, 270, 310}, {0, kV15ExtraMargin}, 640, 480);
  EXPECT_EQ(*margin.box, (Box{100, 112, 260, 306}));
  // The margin stops at the frame's bottom edge.
  const FaceBoxChoice edge =
      choose_face_box(lm, Box{90, 150, 270, 310}, {0, kV15ExtraMargin}, 640, 300);
  EXPECT_EQ(edge.box->y2, 300);
}

TEST(FaceBoxRules, ShiftedPoint29CountsAsTheLowestPoint) {
  FaceLandmarks lm = frontal_face();
  const FaceBoxChoice c = choose_face_box(lm, Box{0, 0, 10, 10}, {100, 0}, 640, 480);
  // y_ref = 304 is below the jaw (296): half 0, an empty box, so the detector's box is used.
  EXPECT_EQ(c.source, "detector");
  EXPECT_EQ(*c.box, (Box{0, 0, 10, 10}));
}

TEST(FaceBoxRules, NoDetectionMeansNoFaceNotAPlaceholder) {
  const FaceBoxChoice c = choose_face_box(frontal_face(), std::nullopt, {}, 640, 480);
  EXPECT_FALSE(c.box);
  EXPECT_EQ(c.source, "none");
  EXPECT_NE(c.problem.find("no face"), std::string::npos);
}

TEST(FaceBoxRules, NegativeLandmarkFallsBackToTheDetectorBoxClippedToTheFrame) {
  FaceLandmarks lm = frontal_face();
  lm[0].x = -4;
  const FaceBoxChoice c = choose_face_box(lm, Box{600, 400, 700, 520}, {}, 640, 480);
  EXPECT_EQ(c.source, "detector");
  EXPECT_EQ(*c.box, (Box{600, 400, 640, 480}));
  const FaceBoxChoice outside = choose_face_box(lm, Box{650, 400, 700, 520}, {}, 640, 480);
  EXPECT_FALSE(outside.box);
  // A sliver left inside the frame is no face either.
  const FaceBoxChoice sliver = choose_face_box(lm, Box{636, 400, 700, 520}, {}, 640, 480);
  EXPECT_FALSE(sliver.box);
  EXPECT_NE(sliver.problem.find("under 8 px"), std::string::npos) << sliver.problem;
}

TEST(FaceBoxRules, GivenBoxMustBeInsideTheFrameAndNotEmpty) {
  EXPECT_EQ(check_given_box({10, 20, 30, 40}, 64, 48, "--box"), (Box{10, 20, 30, 40}));
  EXPECT_THROW(check_given_box({10, 20, 10, 40}, 64, 48, "--box"), Error);
  EXPECT_THROW(check_given_box({10, 20, 11, 40}, 64, 48, "--box"), Error);  // 1 px wide
  EXPECT_THROW(check_given_box({30, 20, 10, 40}, 64, 48, "--box"), Error);
  EXPECT_THROW(check_given_box({-1, 20, 30, 40}, 64, 48, "--box"), Error);
  try {
    check_given_box({10, 20, 65, 40}, 64, 48, "--box 10,20,65,40");
    FAIL() << "a box past the right edge was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--box 10,20,65,40"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("64x48"), std::string::npos);
  }
}

TEST(FaceBoxRules, BboxShiftRangeIsTheTruncatedMeanOverFrames) {
  FaceLandmarks a = frontal_face(), b = frontal_face();
  b[30].y = 225;  // y30 - y29: 16 and 21 -> 18.5 -> 18
  b[28].y = 195;  // y29 - y28: 12 and 9 -> 10.5 -> 10
  const BboxShiftRange r = bbox_shift_range({a, b});
  EXPECT_EQ(r.minus, 18);
  EXPECT_EQ(r.plus, 10);
  EXPECT_EQ(r.frames, 2);
  EXPECT_EQ(bbox_shift_range({}).frames, 0);
}

TEST(FaceBoxRules, SideAndSmallFacesAreWarnedAbout) {
  FaceLandmarks lm = frontal_face();
  EXPECT_TRUE(face_warnings(&lm, {100, 112, 260, 296}).empty());
  lm[30].x = 110;  // nose tip near the jaw's left end
  ASSERT_EQ(face_warnings(&lm, {100, 112, 260, 296}).size(), 1u);
  EXPECT_NE(face_warnings(&lm, {100, 112, 260, 296})[0].find("side face"), std::string::npos);
  const auto small = face_warnings(nullptr, {0, 0, 80, 120});
  ASSERT_EQ(small.size(), 1u);
  EXPECT_NE(small[0].find("80x120"), std::string::npos);
}

}  // namespace
}  // namespace musetalk::avatar
