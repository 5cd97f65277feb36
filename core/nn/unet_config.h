#pragma once
// The UNet2DConditionModel config (musetalk.json) as diffusers 0.30.2 reads it. The defaults are
// the real MuseTalk config (musetalkV15/musetalk.json of Hugging Face TMElyralab/MuseTalk, read
// by MuseTalk musetalk/models/unet.py UNet.__init__); from_json() reads every key that changes
// the network and rejects values this port does not implement, naming the key.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace musetalk::nn {

struct UNetConfig {
  int64_t in_channels = 8;
  int64_t out_channels = 4;
  bool center_input_sample = false;
  bool flip_sin_to_cos = true;
  double freq_shift = 0;
  std::vector<std::string> down_block_types = {"CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                                               "CrossAttnDownBlock2D", "DownBlock2D"};
  std::vector<std::string> up_block_types = {"UpBlock2D", "CrossAttnUpBlock2D",
                                             "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"};
  std::vector<int64_t> block_out_channels = {320, 640, 1280, 1280};
  // Per down block (a single int in the file applies to every block); up blocks use the
  // reversed lists, with layers_per_block + 1 resnets each.
  std::vector<int64_t> layers_per_block = {2, 2, 2, 2};
  std::vector<int64_t> transformer_layers_per_block = {1, 1, 1, 1};
  // Attention heads per down block: num_attention_heads, or else attention_head_dim, which
  // diffusers (legacy naming) uses as the number of heads. Head dim = channels / heads.
  std::vector<int64_t> num_attention_heads = {8, 8, 8, 8};
  int64_t downsample_padding = 1;
  double mid_block_scale_factor = 1;
  int64_t norm_num_groups = 32;
  double norm_eps = 1e-5;
  int64_t cross_attention_dim = 384;
  int64_t time_embedding_dim = 0;  // 0: block_out_channels[0] * 4
  int64_t conv_in_kernel = 3;
  int64_t conv_out_kernel = 3;

  int64_t time_embed_dim() const;
  size_t num_blocks() const { return block_out_channels.size(); }

  // Throws Error("UNet config", ...) naming the first key with an unsupported or bad value.
  static UNetConfig from_json(const nlohmann::ordered_json& config);
  // Consistency of the lists with each other (from_json calls it).
  void validate() const;
};

}  // namespace musetalk::nn
