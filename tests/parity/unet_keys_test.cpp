// The UNet built from the real musetalk.json names its parameters exactly as the released
// unet.pth does, and the strict loader reports every kind of mismatch by name.
#include <gtest/gtest.h>

#include <map>

#include "files/error.h"
#include "files/file_source.h"
#include "files/json_file.h"
#include "model/synthetic_weights.h"
#include "nn/unet.h"
#include "test_support.h"
#include "torch_io/strict_load.h"

namespace musetalk {
namespace {

using Shapes = std::map<std::string, std::vector<int64_t>>;

std::string shape_text(const std::vector<int64_t>& s) {
  return files::shape_string(s);
}

TEST(UNetKeys, RealConfigMatchesTheCheckpointManifest) {
  const std::string path = test::fixtures_dir() + "/keys_unet_musetalk.json";
  const nlohmann::ordered_json keys = files::read_json_file(path);
  Shapes want;
  for (const auto& [name, shape] : keys.items()) {
    for (const nlohmann::ordered_json& d : shape) want[name].push_back(d.get<int64_t>());
  }
  nn::UNet2DConditionModel unet(nn::UNetConfig{});
  Shapes got;
  for (const auto& [name, shape] : named_shapes(*unet)) got[name] = shape;

  for (const auto& [name, shape] : want) {
    auto it = got.find(name);
    if (it == got.end()) {
      ADD_FAILURE() << "missing from the model: " << name << " " << shape_text(shape);
    } else if (it->second != shape) {
      ADD_FAILURE() << name << ": model " << shape_text(it->second) << ", checkpoint "
                    << shape_text(shape);
    }
  }
  for (const auto& [name, shape] : got) {
    if (!want.count(name)) ADD_FAILURE() << "not in the checkpoint: " << name;
  }
  EXPECT_EQ(want.size(), 686u);
}

TEST(UNetKeys, ConfigRejectsUnsupportedValuesByKey) {
  nlohmann::ordered_json config = nlohmann::ordered_json::object();
  config["use_linear_projection"] = true;
  try {
    nn::UNetConfig::from_json(config);
    FAIL() << "use_linear_projection true was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("use_linear_projection"), std::string::npos) << e.what();
  }
  nlohmann::ordered_json act = nlohmann::ordered_json::object();
  act["act_fn"] = "gelu";
  EXPECT_THROW(nn::UNetConfig::from_json(act), Error);
}

TEST(UNetKeys, StrictLoadReportsMissingUnexpectedAndMisShapedKeys) {
  nn::UNetConfig config;
  config.block_out_channels = {32, 64};
  config.down_block_types = {"CrossAttnDownBlock2D", "DownBlock2D"};
  config.up_block_types = {"UpBlock2D", "CrossAttnUpBlock2D"};
  config.layers_per_block = {1, 1};
  config.transformer_layers_per_block = {1, 1};
  config.num_attention_heads = {2, 2};
  nn::UNet2DConditionModel unet(config);
  StateDict full = synthetic_weights_for(*unet);
  load_strict(*unet, full, "complete");  // the complete set loads

  const std::string removed = "down_blocks.0.attentions.0.proj_in.weight";
  const std::string extra = "down_blocks.0.attentions.0.not_a_weight";
  const std::string reshaped = "up_blocks.1.resnets.0.conv1.bias";
  StateDict broken;
  for (const auto& item : full) {
    if (item.key() == removed) continue;
    broken.insert(item.key(), item.key() == reshaped ? torch::zeros({3}) : item.value());
  }
  broken.insert(extra, torch::zeros({1}));
  try {
    load_strict(*unet, broken, "broken.pth");
    FAIL() << "a broken state dict loaded";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const std::string& name : {removed, extra, reshaped}) {
      EXPECT_NE(msg.find(name), std::string::npos) << name << " not named in: " << msg;
    }
  }
}

}  // namespace
}  // namespace musetalk
