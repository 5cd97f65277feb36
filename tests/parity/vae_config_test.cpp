// VaeConfig::from_json: defaults, other configurations, and errors that name the key.
#include <gtest/gtest.h>

#include "files/error.h"
#include "files/json_file.h"
#include "nn/vae.h"

namespace musetalk::nn {
namespace {

VaeConfig parse(const std::string& text) {
  return VaeConfig::from_json(files::parse_json(text));
}

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const Error& e) {
    return e.problem();
  }
  return "";
}

TEST(VaeConfig, AbsentFieldsKeepSdVaeFtMseDefaults) {
  const VaeConfig c = parse(R"({"_class_name": "AutoencoderKL", "act_fn": "silu"})");
  EXPECT_EQ(c.block_out_channels, (std::vector<int64_t>{128, 256, 512, 512}));
  EXPECT_EQ(c.layers_per_block, 2);
  EXPECT_EQ(c.latent_channels, 4);
  EXPECT_EQ(c.norm_num_groups, 32);
  EXPECT_DOUBLE_EQ(c.scaling_factor, 0.18215);
}

TEST(VaeConfig, OtherDepthsAndWidthsBuildFromTheConfig) {
  const VaeConfig c = parse(R"({"block_out_channels": [8, 16, 16], "layers_per_block": 1,
      "latent_channels": 2, "norm_num_groups": 4, "scaling_factor": 0.5,
      "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
      "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"]})");
  EXPECT_DOUBLE_EQ(c.scaling_factor, 0.5);
  AutoencoderKL vae(c);
  torch::NoGradGuard no_grad;
  auto [mean, logvar] = vae->encode(torch::zeros({1, 3, 32, 32}));
  EXPECT_EQ(mean.sizes(), (std::vector<int64_t>{1, 2, 8, 8}));
  EXPECT_EQ(logvar.sizes(), (std::vector<int64_t>{1, 2, 8, 8}));
  EXPECT_EQ(vae->decode(mean).sizes(), (std::vector<int64_t>{1, 3, 32, 32}));
}

TEST(VaeConfig, UnsupportedValuesAreErrorsNamingTheKey) {
  EXPECT_NE(error_of(R"({"block_out_channels": [8, 8],
      "down_block_types": ["DownEncoderBlock2D", "AttnDownEncoderBlock2D"]})")
                .find("down_block_types"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"block_out_channels": [8, 8], "up_block_types": ["UpDecoderBlock2D"]})")
                .find("up_block_types"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"act_fn": "gelu"})").find("act_fn"), std::string::npos);
  EXPECT_NE(error_of(R"({"layers_per_block": "two"})").find("layers_per_block"), std::string::npos);
  EXPECT_NE(error_of(R"({"use_quant_conv": false})").find("use_quant_conv"), std::string::npos);
}

}  // namespace
}  // namespace musetalk::nn
