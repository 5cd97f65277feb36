#pragma once
// The SD VAE (diffusers 0.30.2 AutoencoderKL), as MuseTalk uses stabilityai/sd-vae-ft-mse:
// encode a (B, 3, H, W) image in [-1, 1] to the posterior's mean and log-variance
// (B, latent, H/f, W/f), decode unscaled latents back to (B, 3, H, W) before clamping, where f is
// 2^(number of blocks - 1).

#include <torch/torch.h>

#include <string>
#include <utility>

#include "files/error.h"
#include "nn/group_norm.h"
#include "nn/vae_blocks.h"
#include "nn/vae_config.h"
#include "torch_io/strict_load.h"

namespace musetalk::nn {

// diffusers/models/autoencoders/vae.py Encoder (double_z: conv_out gives 2 * latent channels).
class VaeEncoderImpl : public torch::nn::Module {
 public:
  explicit VaeEncoderImpl(const VaeConfig& config);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::Conv2d conv_in{nullptr}, conv_out{nullptr};
  torch::nn::ModuleList down_blocks;
  VaeMidBlock mid_block{nullptr};
  GroupNorm conv_norm_out{nullptr};
};
TORCH_MODULE(VaeEncoder);

// diffusers/models/autoencoders/vae.py Decoder (norm_type "group").
class VaeDecoderImpl : public torch::nn::Module {
 public:
  explicit VaeDecoderImpl(const VaeConfig& config);
  torch::Tensor forward(torch::Tensor z);

 private:
  torch::nn::Conv2d conv_in{nullptr}, conv_out{nullptr};
  VaeMidBlock mid_block{nullptr};
  torch::nn::ModuleList up_blocks;
  GroupNorm conv_norm_out{nullptr};
};
TORCH_MODULE(VaeDecoder);

// diffusers/models/autoencoders/autoencoder_kl.py AutoencoderKL
class AutoencoderKLImpl : public torch::nn::Module {
 public:
  // with_encoder false: the decoder half only (decoder, post_quant_conv; no encoder or
  // quant_conv), as a model set exported for render or stream holds it (models/README.md);
  // encode() then throws no_vae_encoder_error(models_dir).
  explicit AutoencoderKLImpl(const VaeConfig& config, bool with_encoder = true,
                             std::string models_dir = {});

  // diffusers/models/autoencoders/vae.py DiagonalGaussianDistribution: (mean, logvar), logvar
  // clamped to [-30, 20]. Throws no_vae_encoder_error when built without the encoder.
  std::pair<torch::Tensor, torch::Tensor> encode(const torch::Tensor& x);
  // z: latents already divided by the scaling factor. Returns the image before clamping.
  torch::Tensor decode(const torch::Tensor& z);

  const VaeConfig& config() const { return config_; }
  bool has_encoder() const { return !encoder.is_empty(); }

 private:
  VaeConfig config_;
  std::string models_dir_;  // named by encode()'s error when there is no encoder
  VaeEncoder encoder{nullptr};
  VaeDecoder decoder{nullptr};
  torch::nn::Conv2d quant_conv{nullptr}, post_quant_conv{nullptr};
};
TORCH_MODULE(AutoencoderKL);

// What encode() and the loaders throw for a VAE without its encoder: the model set in models_dir
// was exported for render or stream, and making avatar latents needs the encoder.
Error no_vae_encoder_error(const std::string& models_dir);

// File name -> module name: the mid-block attention's old spelling (query, key, value,
// proj_attn, as sd-vae-ft-mse's .bin stores it) becomes the current one (to_q, to_k, to_v,
// to_out.0); every other name, the current spelling included, passes unchanged.
NameMapper vae_name_mapper();
// Module name -> the old file spelling (the inverse of vae_name_mapper() on attention names).
NameMapper vae_legacy_file_name();

}  // namespace musetalk::nn
