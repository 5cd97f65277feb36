// DWPose's torch-side steps (face/pose_landmarks.h) and the pose warp (media/pose_warp.h): the
// mmengine checkpoint's "state_dict." names mapped for a strict load, the COCO-WholeBody flip
// map, SimCC decoding of hand-made logits, the input normalisation, and the whole-image warp's
// numbers. The network itself is checked against the fixtures by the parity kind "dwpose".

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "face/pose_landmarks.h"
#include "files/error.h"
#include "media/pose_warp.h"
#include "test_support.h"
#include "torch_io/state_dict.h"
#include "torch_io/strict_load.h"

namespace musetalk::face {
namespace {

// The module the ckpt_nested fixtures hold: conv (3 -> 8, 3x3, bias), bn (8), fc (8 -> 4).
struct NestedNetImpl : torch::nn::Module {
  NestedNetImpl() {
    register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 8, 3)));
    register_module("bn", torch::nn::BatchNorm2d(8));
    register_module("fc", torch::nn::Linear(8, 4));
  }
};
TORCH_MODULE(NestedNet);

TEST(DwposeLoader, NestedCheckpointLoadsUnderItsStateDictKeys) {
  const StateDict expected = load_state_dict(test::fixtures_dir() + "/ckpt_expected.safetensors");
  for (const std::string stem : {"ckpt_nested", "ckpt_nested_legacy"}) {
    SCOPED_TRACE(stem);
    const StateDict file = load_state_dict(test::fixtures_dir() + "/" + stem + ".pth");
    const NameMapper map = dwpose_name_mapper(file);
    ASSERT_TRUE(map);
    std::set<std::string> mapped;
    for (const auto& item : file) {
      const std::string name = map(item.key());
      if (item.key().rfind("state_dict.", 0) != 0) {
        EXPECT_EQ(name, "") << item.key() << " is not a weight and must be ignored";
        continue;
      }
      EXPECT_EQ("state_dict." + name, item.key());
      mapped.insert(name);
      EXPECT_TRUE(torch::equal(item.value(), expected[stem + "/" + item.key()])) << item.key();
    }
    EXPECT_EQ(mapped, (std::set<std::string>{"conv.weight", "conv.bias", "bn.weight", "bn.bias",
                                             "bn.running_mean", "bn.running_var",
                                             "bn.num_batches_tracked", "fc.weight", "fc.bias"}));
    NestedNet net;
    load_strict(*net, file, stem, map);  // every name matched, nothing left over
    EXPECT_TRUE(torch::equal(net->named_parameters()["fc.weight"],
                             expected[stem + "/state_dict.fc.weight"]));
  }
}

TEST(DwposeLoader, PlainStateDictKeepsItsNames) {
  StateDict file;
  file.insert("backbone.stem.0.conv.weight", torch::zeros({1}));
  EXPECT_FALSE(dwpose_name_mapper(file));  // no mapping: names pass unchanged
}

TEST(DwposeLoader, ErrorsNameTheFile) {
  const std::string nested = test::fixtures_dir() + "/ckpt_nested.pth";
  try {
    load_dwpose(nested, torch::kCPU, torch::kFloat32);
    FAIL() << "a checkpoint of another network loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), nested);
    EXPECT_NE(std::string(e.what()).find("backbone."), std::string::npos) << e.what();
  }
  const std::string missing = test::fixtures_dir() + "/no_such_dw-ll_ucoco_384.pth";
  try {
    load_dwpose(missing, torch::kCPU, torch::kFloat32);
    FAIL() << "a missing file loaded";
  } catch (const Error& e) {
    EXPECT_NE(e.input().find("no_such_dw-ll_ucoco_384.pth"), std::string::npos) << e.what();
  }
}

TEST(PoseFlip, FlipMapIsAnInvolutionOfTheWholeBody) {
  const std::vector<int64_t>& f = coco_wholebody_flip_indices();
  ASSERT_EQ(f.size(), 133u);
  std::set<int64_t> seen(f.begin(), f.end());
  EXPECT_EQ(seen.size(), 133u);
  for (size_t k = 0; k < f.size(); ++k) {
    ASSERT_GE(f[k], 0);
    ASSERT_LT(f[k], 133);
    EXPECT_EQ(f[f[k]], static_cast<int64_t>(k)) << k;
  }
  EXPECT_EQ(f[1], 2);                                     // eyes
  EXPECT_EQ(f[23], 39);                                   // face contour ends
  EXPECT_EQ(f[91], 112);                                  // hand roots
  for (int64_t k = 50; k <= 53; ++k) EXPECT_EQ(f[k], k);  // the nose bridge
}

TEST(PoseFlip, FlipBackTwiceIsTheIdentity) {
  torch::manual_seed(3);
  const Simcc s{torch::randn({2, 133, 576}), torch::randn({2, 133, 768})};
  const Simcc once = flip_back(s, coco_wholebody_flip_indices());
  EXPECT_TRUE(torch::equal(once.x[0][1], s.x[0][2].flip({0})));  // re-indexed and reversed
  EXPECT_TRUE(torch::equal(once.y[1][91], s.y[1][112]));         // re-indexed only
  const Simcc twice = flip_back(once, coco_wholebody_flip_indices());
  EXPECT_TRUE(torch::equal(twice.x, s.x));
  EXPECT_TRUE(torch::equal(twice.y, s.y));
  EXPECT_THROW(flip_back(s, {0, 1}), Error);
}

TEST(PoseDecode, ArgmaxHalvedAndMinusOneWhereTheScoreIsNotPositive) {
  torch::Tensor x = torch::full({1, 4, 10}, -1.0f), y = torch::full({1, 4, 12}, -1.0f);
  x[0][0][7] = 0.9f;  // keypoint 0: x bin 7, y bin 3, score min(0.9, 0.4)
  y[0][0][3] = 0.4f;
  x[0][1][2] = -0.2f;  // keypoint 1: every logit negative -> -1 -> -0.5
  y[0][1][5] = -0.3f;
  x[0][2][4] = 0.5f;  // keypoint 2: max y exactly 0 -> score 0 -> -0.5
  y[0][2][6] = 0.0f;
  x[0][3][1] = 0.7f;  // keypoint 3: a tie takes the first bin
  x[0][3][8] = 0.7f;
  y[0][3][11] = 0.8f;
  const PoseKeypoints d = decode_simcc({x, y}, 2.0);
  ASSERT_EQ(d.keypoints.sizes(), (std::vector<int64_t>{1, 4, 2}));
  ASSERT_EQ(d.keypoints.scalar_type(), torch::kFloat32);
  const torch::Tensor want =
      torch::tensor({3.5f, 1.5f, -0.5f, -0.5f, -0.5f, -0.5f, 0.5f, 5.5f}).view({1, 4, 2});
  EXPECT_TRUE(torch::equal(d.keypoints, want)) << d.keypoints;
  EXPECT_TRUE(torch::allclose(d.scores, torch::tensor({0.4f, -0.3f, 0.0f, 0.7f}).view({1, 4})))
      << d.scores;
}

TEST(PoseInput, BgrCropBecomesNormalisedRgb) {
  torch::Tensor crop = torch::zeros({1, 2, 3, 3}, torch::kUInt8);
  crop.index_put_({0, 1, 2}, torch::tensor({10, 20, 30}, torch::kUInt8));  // B, G, R
  const torch::Tensor in = normalize_pose_input(crop, torch::kCPU, torch::kFloat32);
  ASSERT_EQ(in.sizes(), (std::vector<int64_t>{1, 3, 2, 3}));
  EXPECT_FLOAT_EQ(in[0][0][1][2].item<float>(), static_cast<float>((30 - 123.675) / 58.395));
  EXPECT_FLOAT_EQ(in[0][1][1][2].item<float>(), static_cast<float>((20 - 116.28) / 57.12));
  EXPECT_FLOAT_EQ(in[0][2][1][2].item<float>(), static_cast<float>((10 - 103.53) / 57.375));
  EXPECT_FLOAT_EQ(in[0][0][0][0].item<float>(), static_cast<float>(-123.675 / 58.395));
  EXPECT_EQ(normalize_pose_input(crop, torch::kCPU, torch::kBFloat16).scalar_type(),
            torch::kBFloat16);
  EXPECT_THROW(normalize_pose_input(crop.to(torch::kFloat32), torch::kCPU, torch::kFloat32), Error);
}

TEST(PoseWarp, WholeImageBoxPaddedToTheInputAspect) {
  const media::PoseWarp w = media::pose_warp_for(640, 480);
  EXPECT_EQ(w.center, (std::array<float, 2>{320.0f, 240.0f}));
  EXPECT_EQ(w.scale, (std::array<float, 2>{800.0f, 1066.6666259765625f}));
  EXPECT_NEAR(w.matrix[0][0], 0.36, 1e-9);
  EXPECT_NEAR(w.matrix[0][1], 0.0, 1e-9);
  EXPECT_NEAR(w.matrix[0][2], 28.8, 1e-6);
  EXPECT_NEAR(w.matrix[1][1], 0.36, 1e-9);
  EXPECT_NEAR(w.matrix[1][2], 105.6, 1e-6);
  // A landscape frame: the width decides; a portrait one: the height.
  const media::PoseWarp landscape = media::pose_warp_for(1920, 1080);
  EXPECT_EQ(landscape.scale, (std::array<float, 2>{2400.0f, 3200.0f}));
  const media::PoseWarp portrait = media::pose_warp_for(480, 1280);
  EXPECT_EQ(portrait.scale, (std::array<float, 2>{1200.0f, 1600.0f}));
  // image_x/image_y invert the matrix.
  for (const media::PoseWarp& p : {w, landscape, portrait}) {
    const double x = 123.25, y = 77.5;
    const double in_x = p.matrix[0][0] * x + p.matrix[0][1] * y + p.matrix[0][2];
    const double in_y = p.matrix[1][0] * x + p.matrix[1][1] * y + p.matrix[1][2];
    EXPECT_NEAR(p.image_x(in_x), x, 1e-3);
    EXPECT_NEAR(p.image_y(in_y), y, 1e-3);
  }
  EXPECT_THROW(media::pose_warp_for(0, 480), Error);
}

TEST(PoseWarp, WarpScalesIntoTheInputWithBlackBorders) {
  media::Image img;
  img.width = 640;
  img.height = 480;
  img.channels = 3;
  img.pixels.resize(640 * 480 * 3);
  for (size_t i = 0; i < img.pixels.size(); i += 3) {
    img.pixels[i] = 40, img.pixels[i + 1] = 90, img.pixels[i + 2] = 200;
  }
  const media::Image crop = media::warp_for_pose(img, media::pose_warp_for(640, 480));
  ASSERT_EQ(crop.width, 288);
  ASSERT_EQ(crop.height, 384);
  auto at = [&](int x, int y, int c) { return crop.pixels[(y * 288 + x) * 3 + c]; };
  // The image spans x 28.8..259.2, y 105.6..278.4 of the input.
  EXPECT_EQ(at(144, 192, 0), 40);
  EXPECT_EQ(at(144, 192, 1), 90);
  EXPECT_EQ(at(144, 192, 2), 200);
  EXPECT_EQ(at(144, 50, 2), 0);
  EXPECT_EQ(at(10, 192, 2), 0);
  EXPECT_EQ(at(144, 330, 2), 0);
  media::Image grey = img;
  grey.channels = 1;
  EXPECT_THROW(media::warp_for_pose(grey, media::pose_warp_for(640, 480)), Error);
}

}  // namespace
}  // namespace musetalk::face
