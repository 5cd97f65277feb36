#pragma once
// The blocks the VAE's encoder and decoder are built from (eps 1e-6, no time embedding).

#include <torch/torch.h>

#include "nn/group_norm.h"

namespace musetalk::nn {

// diffusers/models/attention_processor.py Attention as UNetMidBlock2D builds it for the VAE: one
// head over all channels, GroupNorm first, residual added, rescale 1. Module names follow
// diffusers' current spelling (to_q, to_k, to_v, to_out.0); vae_name_mapper() maps the old one.
class VaeAttentionImpl : public torch::nn::Module {
 public:
  VaeAttentionImpl(int64_t channels, int64_t groups);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  GroupNorm group_norm{nullptr};
  torch::nn::Linear to_q{nullptr}, to_k{nullptr}, to_v{nullptr};
  torch::nn::ModuleList to_out;
};
TORCH_MODULE(VaeAttention);

// diffusers/models/unets/unet_2d_blocks.py UNetMidBlock2D (one layer, attention on):
// resnet, attention, resnet at constant width.
class VaeMidBlockImpl : public torch::nn::Module {
 public:
  VaeMidBlockImpl(int64_t channels, int64_t groups);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::ModuleList resnets, attentions;
};
TORCH_MODULE(VaeMidBlock);

// diffusers/models/unets/unet_2d_blocks.py DownEncoderBlock2D: `layers` resnets, then (unless
// the last block) the asymmetric-pad stride-2 downsampler.
class DownEncoderBlock2DImpl : public torch::nn::Module {
 public:
  DownEncoderBlock2DImpl(int64_t in_channels, int64_t out_channels, int64_t layers, int64_t groups,
                         bool add_downsample);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::ModuleList resnets, downsamplers{nullptr};
};
TORCH_MODULE(DownEncoderBlock2D);

// diffusers/models/unets/unet_2d_blocks.py UpDecoderBlock2D: `layers` resnets, then (unless the
// last block) nearest x2 + conv.
class UpDecoderBlock2DImpl : public torch::nn::Module {
 public:
  UpDecoderBlock2DImpl(int64_t in_channels, int64_t out_channels, int64_t layers, int64_t groups,
                       bool add_upsample);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::ModuleList resnets, upsamplers{nullptr};
};
TORCH_MODULE(UpDecoderBlock2D);

// Runs every ResnetBlock2D of a list in order.
torch::Tensor run_resnets(const torch::nn::ModuleList& resnets, torch::Tensor x);

}  // namespace musetalk::nn
