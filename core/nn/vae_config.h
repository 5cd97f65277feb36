#pragma once
// The AutoencoderKL config (diffusers config.json) the VAE is built from. The defaults are
// stabilityai/sd-vae-ft-mse's (config.json of that Hugging Face repository).

#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace musetalk::nn {

// diffusers/models/autoencoders/autoencoder_kl.py AutoencoderKL (config fields).
struct VaeConfig {
  int64_t in_channels = 3;
  int64_t out_channels = 3;
  std::vector<int64_t> block_out_channels = {128, 256, 512, 512};
  int64_t layers_per_block = 2;
  int64_t latent_channels = 4;
  int64_t norm_num_groups = 32;
  // Absent from sd-vae-ft-mse's config.json: diffusers' default applies.
  double scaling_factor = 0.18215;

  // Fields absent from the JSON keep their defaults. Throws Error naming the key for a value of
  // the wrong type, a block type other than DownEncoderBlock2D / UpDecoderBlock2D, a block-type
  // list whose length differs from block_out_channels, an activation other than silu, or
  // mid_block_add_attention / use_quant_conv / use_post_quant_conv set to false.
  static VaeConfig from_json(const nlohmann::ordered_json& json);
};

}  // namespace musetalk::nn
