// Latents made with the VAE for avatars that ship without them (upstream MuseTalk
// musetalk/models/vae.py VAE.get_latents_for_unet): the VAE's inputs, the Lanczos face crop, and
// make_avatar_latents on the repository's sample avatar with a tiny VAE, checked against encoding
// the crops directly.
#include <gtest/gtest.h>

#include "adapters/avatar_latents.h"
#include "avatar/avatar.h"
#include "files/error.h"
#include "media/face_crop.h"
#include "media/image_io.h"
#include "model/model_set.h"
#include "pipeline/face_latents.h"
#include "test_support.h"
#include "tiny_model_set.h"

namespace musetalk::pipeline {
namespace {

media::Image gradient(int width, int height) {
  media::Image img{width, height, 3, {}};
  img.pixels.resize(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = &img.pixels[(static_cast<size_t>(y) * width + x) * 3];
      p[0] = static_cast<uint8_t>(x);      // B
      p[1] = static_cast<uint8_t>(y);      // G
      p[2] = static_cast<uint8_t>(x ^ y);  // R
    }
  }
  return img;
}

TEST(FaceCrop, BoxOfTheOutputSizeIsCopiedExactly) {
  const media::Image frame = gradient(300, 280);
  const media::Image crop = media::crop_resize_lanczos(frame, 20, 10, 276, 266, 256, "frame");
  ASSERT_EQ(crop.width, 256);
  ASSERT_EQ(crop.height, 256);
  for (int y = 0; y < 256; y += 17) {
    for (int x = 0; x < 256; x += 13) {
      for (int c = 0; c < 3; ++c) {
        EXPECT_EQ(crop.pixels[(y * 256 + x) * 3 + c],
                  frame.pixels[((y + 10) * 300 + x + 20) * 3 + c]);
      }
    }
  }
}

TEST(FaceCrop, FlatRegionStaysFlatWhenScaled) {
  media::Image frame{64, 48, 3, std::vector<uint8_t>(64 * 48 * 3, 0)};
  for (size_t i = 0; i < frame.pixels.size(); i += 3) {
    frame.pixels[i] = 10, frame.pixels[i + 1] = 128, frame.pixels[i + 2] = 250;
  }
  const media::Image crop = media::crop_resize_lanczos(frame, 5, 3, 45, 40, 256, "frame");
  for (size_t i = 0; i < crop.pixels.size(); i += 3) {
    ASSERT_NEAR(crop.pixels[i], 10, 1);
    ASSERT_NEAR(crop.pixels[i + 1], 128, 1);
    ASSERT_NEAR(crop.pixels[i + 2], 250, 1);
  }
}

TEST(FaceCrop, BoxLeavingTheFrameNamesTheFrame) {
  const media::Image frame = gradient(100, 100);
  try {
    media::crop_resize_lanczos(frame, 50, 50, 120, 90, 256, "frames/00000007.png");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), "frames/00000007.png");
    EXPECT_NE(std::string(e.what()).find("100x100"), std::string::npos) << e.what();
  }
}

torch::Tensor as_tensor(const media::Image& img) {
  return torch::from_blob(const_cast<uint8_t*>(img.pixels.data()), {img.height, img.width, 3},
                          torch::kUInt8);
}

TEST(VaeInputPair, LowerHalfOfTheMaskedCopyIsBlackAndChannelsAreRgb) {
  const media::Image crop = gradient(256, 256);
  const torch::Tensor x = vae_input_pair(as_tensor(crop));
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{2, 3, 256, 256}));
  EXPECT_TRUE(x[0].narrow(1, 128, 128).eq(-1.0f).all().item<bool>());
  EXPECT_TRUE(x[0].narrow(1, 0, 128).equal(x[1].narrow(1, 0, 128)));
  for (int y : {0, 100, 200}) {
    const int xx = 77;
    const uint8_t* p = &crop.pixels[(y * 256 + xx) * 3];
    for (int c = 0; c < 3; ++c) {  // RGB channel c is BGR byte 2 - c
      const float want = static_cast<float>(static_cast<double>(p[2 - c]) / 255.0);
      EXPECT_FLOAT_EQ(x[1][c][y][xx].item<float>(), (want - 0.5f) / 0.5f);
    }
  }
}

class AvatarLatents : public ::testing::Test {
 protected:
  ModelSet* models_ = &test::shared_tiny_models();
};

TEST_F(AvatarLatents, SampleAvatarGetsOneMaskedAndOneReferenceLatentPerCycleFrame) {
  const avatar::Avatar a = avatar::load_avatar(test::sample_dir() + "/avatar");
  ASSERT_FALSE(a.has_latents());
  const auto n = static_cast<int64_t>(a.frame_count());
  int64_t last_done = 0;
  const double scale = models_->vae_config.scaling_factor;
  const torch::Tensor latents =
      adapters::make_avatar_latents(models_->vae, scale, a, 2, [&](int64_t done, int64_t total) {
        EXPECT_EQ(total, n);
        EXPECT_GT(done, last_done);
        last_done = done;
      });
  EXPECT_EQ(last_done, n);
  ASSERT_EQ(latents.sizes(), (std::vector<int64_t>{n, 8, 32, 32}));

  torch::InferenceMode inference;
  for (int64_t j = 0; j < n; ++j) {
    SCOPED_TRACE("cycle frame " + std::to_string(j));
    // The ping-pong cycle: frame j and frame n-1-j are the same image and box.
    EXPECT_TRUE(latents[j].equal(latents[n - 1 - j]));
    const avatar::Box& b = a.face_boxes[j];
    const media::Image crop = media::crop_resize_lanczos(media::read_png(a.frame_files[j], 3), b.x1,
                                                         b.y1, b.x2, b.y2, 256, "frame");
    const torch::Tensor want =
        models_->vae->encode(vae_input_pair(as_tensor(crop))).first.mul(scale);
    EXPECT_LT((latents[j].narrow(0, 0, 4) - want[0]).abs().max().item<float>(), 1e-5);
    EXPECT_LT((latents[j].narrow(0, 4, 4) - want[1]).abs().max().item<float>(), 1e-5);
    EXPECT_GT((want[0] - want[1]).abs().max().item<float>(), 1e-3)
        << "masking the lower half must change the latent";
  }
}

TEST_F(AvatarLatents, UnreadableFramePngIsNamed) {
  test::TempDir tmp;
  const std::string copy = tmp.file("avatar");
  std::filesystem::copy(test::sample_dir() + "/avatar", copy,
                        std::filesystem::copy_options::recursive);
  const avatar::Avatar a = avatar::load_avatar(copy);
  std::filesystem::resize_file(a.frame_files[1], 100);
  try {
    adapters::make_avatar_latents(models_->vae, 0.18215, a, 4, nullptr);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.input().find("frames/00000001.png"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace musetalk::pipeline
