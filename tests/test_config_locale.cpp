// The model configs load to their values with the whole process in a comma-decimal locale (as a
// host such as OBS may set it): config.json / musetalk.json through load_model_set, and each
// config parser on the fixtures' configs.
#include <gtest/gtest.h>

#include "comma_locale.h"
#include "files/json_file.h"
#include "model/model_set.h"
#include "test_support.h"
#include "tiny_model_set.h"

namespace musetalk {
namespace {

TEST(ConfigLocale, ConfigParsersReadTheFixtureConfigsToTheirValues) {
  test::CommaDecimalLocale comma;
  ASSERT_COMMA_DECIMAL_LOCALE(comma);
  const nn::VaeConfig vae = nn::VaeConfig::from_json(test::manifest_config("vae_tiny"));
  EXPECT_EQ(vae.scaling_factor, 0.18215);
  EXPECT_EQ(vae.block_out_channels, (std::vector<int64_t>{32, 32, 64, 64}));
  const nn::UNetConfig unet = nn::UNetConfig::from_json(test::manifest_config("unet_tiny"));
  EXPECT_EQ(unet.norm_eps, 1e-5);
  EXPECT_EQ(unet.freq_shift, 0.0);
  EXPECT_EQ(unet.mid_block_scale_factor, 1.0);
  EXPECT_EQ(unet.block_out_channels, (std::vector<int64_t>{32, 64, 64, 64}));
  const nn::WhisperConfig whisper =
      nn::WhisperConfig::from_json(test::manifest_config("whisper_tiny"), "whisper_tiny");
  EXPECT_EQ(whisper.d_model, 384);
  EXPECT_EQ(whisper.encoder_attention_heads, 6);

  // Numbers with a fraction in every float field the parsers read.
  const nn::UNetConfig fractional = nn::UNetConfig::from_json(files::parse_json(
      R"({"norm_eps": 2.5e-06, "freq_shift": 0.5, "mid_block_scale_factor": 1.25})"));
  EXPECT_EQ(fractional.norm_eps, 2.5e-6);
  EXPECT_EQ(fractional.freq_shift, 0.5);
  EXPECT_EQ(fractional.mid_block_scale_factor, 1.25);
}

TEST(ConfigLocale, ModelSetLoadsItsConfigFilesToTheirValues) {
  test::TempDir tmp;
  test::write_tiny_model_set(tmp.path());
  test::CommaDecimalLocale comma;
  ASSERT_COMMA_DECIMAL_LOCALE(comma);
  const ModelSet set = load_model_set(ModelPaths::in(tmp.path().string(), UNetVersion::V15),
                                      torch::kCPU, torch::kFloat32);
  EXPECT_EQ(set.vae_config.scaling_factor, 0.18215);
  EXPECT_EQ(set.unet_config.norm_eps, 1e-5);
  EXPECT_EQ(set.whisper_config.d_model, 384);
}

}  // namespace
}  // namespace musetalk
