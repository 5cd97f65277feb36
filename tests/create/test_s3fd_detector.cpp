// The S3FD face detector's torch-side steps (face/s3fd_detector.h): the frame preprocessing
// (channel order and means), anchors, box decoding, NMS with the "+1" convention, the 0.5 score
// threshold and the clipped, truncated best box, on hand-built network outputs; weight loading;
// and the batched detection agreeing with frame-by-frame detection on a real network.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "face/s3fd_detector.h"
#include "files/error.h"
#include "test_support.h"
#include "torch_io/state_dict.h"

namespace musetalk::face {
namespace {

// Outputs of a 256 x 256 frame (level sizes 64, 32, 16, 12, 6, 3) in which no cell is a
// candidate: background logit 10, face logit -10, zero regressions.
std::vector<torch::Tensor> quiet_outputs() {
  const int64_t sizes[6] = {64, 32, 16, 12, 6, 3};
  std::vector<torch::Tensor> out;
  for (int64_t s : sizes) {
    torch::Tensor cls = torch::zeros({1, 2, s, s});
    cls[0][0].fill_(10.0);
    cls[0][1].fill_(-10.0);
    out.push_back(cls);
    out.push_back(torch::zeros({1, 4, s, s}));
  }
  return out;
}

// Sets the class logits (background, face) and regression of one cell.
void set_cell(std::vector<torch::Tensor>& out, int level, int64_t row, int64_t col, float bg,
              float face, std::vector<float> reg = {0, 0, 0, 0}) {
  out[2 * level][0][0][row][col] = bg;
  out[2 * level][0][1][row][col] = face;
  for (int k = 0; k < 4; ++k) out[2 * level + 1][0][k][row][col] = reg[k];
}

TEST(S3FDDetector, AnchorsFollowTheLevelStride) {
  const Anchor a = s3fd_anchor(0, 0, 0);
  EXPECT_EQ(a.cx, 2.0f);
  EXPECT_EQ(a.cy, 2.0f);
  EXPECT_EQ(a.side, 16.0f);
  const Anchor b = s3fd_anchor(2, 3, 5);  // stride 16
  EXPECT_EQ(b.cx, 8.0f + 5 * 16);
  EXPECT_EQ(b.cy, 8.0f + 3 * 16);
  EXPECT_EQ(b.side, 64.0f);
  const Anchor c = s3fd_anchor(5, 1, 2);  // stride 128
  EXPECT_EQ(c.cx, 64.0f + 2 * 128);
  EXPECT_EQ(c.cy, 64.0f + 128);
  EXPECT_EQ(c.side, 512.0f);
}

TEST(S3FDDetector, OneStrongAnchorDecodesToItsBox) {
  std::vector<torch::Tensor> out = quiet_outputs();
  // Level 2 (stride 16), row 3, column 5: anchor centre (88, 56), side 64. dx 0.5 moves the
  // centre by 0.5 * 0.1 * 64 = 3.2, dy -0.25 by -1.6; dw = ln(1.5) / 0.2 widens it to 96.
  set_cell(out, 2, 3, 5, -10, 10, {0.5f, -0.25f, std::log(1.5f) / 0.2f, 0.0f});

  const std::vector<FaceDetection> candidates = s3fd_candidates(out);
  ASSERT_EQ(candidates.size(), 1u);
  const FaceDetection& d = candidates[0];
  EXPECT_NEAR(d.x1, 91.2 - 48, 1e-4);
  EXPECT_NEAR(d.x2, 91.2 + 48, 1e-4);
  EXPECT_NEAR(d.y1, 54.4 - 32, 1e-4);
  EXPECT_NEAR(d.y2, 54.4 + 32, 1e-4);
  EXPECT_NEAR(d.score, 1.0, 1e-6);

  const std::optional<avatar::Box> box = best_face_box(s3fd_detections(out));
  ASSERT_TRUE(box.has_value());
  EXPECT_EQ(*box, (avatar::Box{43, 22, 139, 86}));  // truncated
}

TEST(S3FDDetector, OverlappingBoxesKeepTheBestOne) {
  std::vector<torch::Tensor> out = quiet_outputs();
  // Neighbouring level-2 anchors: boxes [56, 24, 120, 88] and [72, 24, 136, 88], IoU 0.6; the
  // second scores higher (softmax of (0, 3) vs (0, 2)). A third box far away survives.
  set_cell(out, 2, 3, 5, 0, 2);
  set_cell(out, 2, 3, 6, 0, 3);
  set_cell(out, 2, 12, 12, 0, 1);  // [168, 168, 232, 232], probability 0.73

  EXPECT_EQ(s3fd_candidates(out).size(), 3u);
  const std::vector<FaceDetection> faces = s3fd_detections(out);
  ASSERT_EQ(faces.size(), 2u);
  EXPECT_NEAR(faces[0].score, 1 / (1 + std::exp(-3.0)), 1e-6);
  EXPECT_EQ(faces[0].x1, 72.0f);
  EXPECT_EQ(faces[1].x1, 168.0f);
  EXPECT_EQ(best_face_box(faces), (avatar::Box{72, 24, 136, 88}));
}

TEST(S3FDDetector, NmsCountsAreasWithThePlusOneConvention) {
  // [0, 9] and [5, 14] wide, 10 high: with +1 the overlap is 50 / 150 = 0.33 > 0.3 (suppressed);
  // without it 36 / 126 = 0.29 would keep both.
  const std::vector<FaceDetection> boxes = {{0, 0, 9, 9, 0.9f}, {5, 0, 14, 9, 0.8f}};
  const std::vector<FaceDetection> kept = nms(boxes, 0.3f);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].score, 0.9f);
  // Disjoint boxes all stay, best first.
  const std::vector<FaceDetection> apart = {{0, 0, 9, 9, 0.6f}, {50, 50, 59, 59, 0.7f}};
  const std::vector<FaceDetection> both = nms(apart, 0.3f);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].score, 0.7f);
  EXPECT_TRUE(nms({}, 0.3f).empty());
}

TEST(S3FDDetector, NoFaceAboveHalfIsNoBox) {
  std::vector<torch::Tensor> out = quiet_outputs();
  set_cell(out, 1, 4, 4, 0.5f, 0);  // face probability 0.38: a candidate, not a face
  EXPECT_EQ(s3fd_candidates(out).size(), 1u);
  EXPECT_TRUE(s3fd_detections(out).empty());
  EXPECT_FALSE(best_face_box(s3fd_detections(out)).has_value());
  EXPECT_FALSE(best_face_box(s3fd_detections(quiet_outputs())).has_value());
}

TEST(S3FDDetector, NegativeCornersAreClippedToZero) {
  std::vector<torch::Tensor> out = quiet_outputs();
  set_cell(out, 3, 0, 0, -10, 10);  // stride 32: centre (16, 16), side 128 -> [-48, -48, 80, 80]
  EXPECT_EQ(best_face_box(s3fd_detections(out)), (avatar::Box{0, 0, 80, 80}));
}

TEST(S3FDDetector, BadOutputsAreReported) {
  std::vector<torch::Tensor> out = quiet_outputs();
  EXPECT_THROW(s3fd_candidates(out, 1), Error);  // a batch of one
  out.pop_back();
  EXPECT_THROW(s3fd_candidates(out), Error);
  out = quiet_outputs();
  out[4] = torch::zeros({1, 4, 16, 16});  // level 2's class scores with 4 channels
  EXPECT_THROW(s3fd_candidates(out), Error);
}

TEST(S3FDDetector, InputIsRgbMinusTheMeans) {
  // One frame, 2 x 3 pixels, every pixel B 10, G 20, R 30.
  torch::Tensor bgr = torch::empty({2, 3, 3}, torch::kUInt8);
  bgr.select(2, 0).fill_(10);
  bgr.select(2, 1).fill_(20);
  bgr.select(2, 2).fill_(30);
  bgr[1][2][0] = 255;  // one bright blue pixel

  const torch::Tensor x = s3fd_input(bgr);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{1, 3, 2, 3}));
  EXPECT_EQ(x.scalar_type(), torch::kFloat32);
  EXPECT_EQ(x[0][0][0][0].item<float>(), 30 - 104.0f);  // red first, minus 104
  EXPECT_EQ(x[0][1][0][0].item<float>(), 20 - 117.0f);
  EXPECT_EQ(x[0][2][0][0].item<float>(), 10 - 123.0f);  // blue last, minus 123
  EXPECT_EQ(x[0][2][1][2].item<float>(), 255 - 123.0f);

  const torch::Tensor batch = s3fd_input(torch::stack({bgr, bgr}));
  EXPECT_EQ(batch.sizes(), (std::vector<int64_t>{2, 3, 2, 3}));
  EXPECT_TRUE(torch::equal(batch[1], x[0]));

  EXPECT_THROW(s3fd_input(bgr.to(torch::kFloat32)), Error);
  EXPECT_THROW(s3fd_input(torch::zeros({2, 3, 4}, torch::kUInt8)), Error);
}

TEST(S3FDDetector, LoadsStrictlyAndNamesTheFile) {
  test::TempDir dir;
  EXPECT_THROW(load_s3fd(dir.file("absent.pth"), torch::kCPU, torch::kFloat32), Error);

  nn::S3FD source;
  StateDict weights;
  for (const auto& item : source->named_parameters()) weights.insert(item.key(), item.value());
  const std::string good = dir.file("s3fd.safetensors");
  save_safetensors(good, weights);
  nn::S3FD net = load_s3fd(good, torch::kCPU, torch::kBFloat16);
  const torch::Tensor w = net->named_parameters()["conv3_3_norm.weight"];
  EXPECT_EQ(w.scalar_type(), torch::kBFloat16);
  EXPECT_FALSE(w.requires_grad());
  EXPECT_FALSE(net->is_training());

  weights.erase("fc7.bias");
  const std::string partial = dir.file("partial.safetensors");
  save_safetensors(partial, weights);
  try {
    load_s3fd(partial, torch::kCPU, torch::kFloat32);
    FAIL() << "a state dict without fc7.bias loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), partial);
    EXPECT_NE(std::string(e.what()).find("fc7.bias"), std::string::npos) << e.what();
  }
}

TEST(S3FDDetector, BatchAgreesWithSingleFrames) {
  torch::manual_seed(0);
  nn::S3FD net;
  net->eval();
  {
    // Make level 0 sure of a face everywhere, so there is a best box to compare.
    torch::NoGradGuard no_grad;
    net->named_parameters()["conv3_3_norm_mbox_conf.bias"][3].fill_(30.0);
  }
  const torch::Tensor a = torch::randint(0, 256, {48, 64, 3}, torch::kUInt8);
  const torch::Tensor b = torch::randint(0, 256, {48, 64, 3}, torch::kUInt8);

  const std::vector<std::optional<avatar::Box>> batch = detect_faces(net, torch::stack({a, b}));
  ASSERT_EQ(batch.size(), 2u);
  const std::optional<avatar::Box> first = detect_face(net, a);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(batch[0], first);
  EXPECT_EQ(batch[1], detect_face(net, b));

  EXPECT_THROW(detect_face(net, torch::zeros({8, 64, 3}, torch::kUInt8)), Error);  // too small
  EXPECT_THROW(detect_face(net, torch::stack({a, b})), Error);                     // a batch

  torch::InferenceMode inference;
  EXPECT_EQ(first, best_face_box(s3fd_detections(net->forward(s3fd_input(a)))));
}

}  // namespace
}  // namespace musetalk::face
