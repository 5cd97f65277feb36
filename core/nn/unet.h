#pragma once
// MuseTalk's UNet: diffusers 0.30.2 UNet2DConditionModel built from a UNetConfig, always run at
// timestep 0 with the audio features as encoder_hidden_states (MuseTalk
// scripts/realtime_inference.py Avatar.inference). Modules carry the checkpoint names (conv_in,
// time_embedding.linear_1, down_blocks.0.resnets.0, ...), so a state dict loads by name with
// load_strict.
//
// Usage: construct, load weights, move to the device/dtype, then call prepare() once; call
// prepare() again after every later load or .to(device/dtype): it computes the t = 0 time
// embedding and hands it to every resnet as a constant bias. forward() refuses to run before.

#include <torch/torch.h>

#include <vector>

#include "nn/group_norm.h"
#include "nn/unet_blocks.h"
#include "nn/unet_config.h"

namespace musetalk::nn {

// diffusers/models/unets/unet_2d_condition.py UNet2DConditionModel
class UNet2DConditionModelImpl : public torch::nn::Module {
 public:
  explicit UNet2DConditionModelImpl(const UNetConfig& config = {});

  const UNetConfig& config() const { return config_; }

  // Computes temb = linear_2(SiLU(linear_1(Timesteps(0)))) on the weights' device and dtype and
  // sets every resnet's time bias from it.
  void prepare();

  // sample: (B, in_channels, H, W) with H and W multiples of 2^(number of upsamplers);
  // encoder_hidden_states: (B, L, cross_attention_dim). Returns (B, out_channels, H, W).
  torch::Tensor forward(const torch::Tensor& sample, const torch::Tensor& encoder_hidden_states);

 private:
  // diffusers/models/embeddings.py Timesteps at t = 0: (1, block_out_channels[0]).
  torch::Tensor timestep_features() const;

  UNetConfig config_;
  bool prepared_ = false;
  torch::nn::Conv2d conv_in{nullptr}, conv_out{nullptr};
  torch::nn::Linear linear_1{nullptr}, linear_2{nullptr};
  std::vector<DownBlock2D> down_blocks_;
  UNetMidBlock2DCrossAttn mid_block{nullptr};
  std::vector<UpBlock2D> up_blocks_;
  GroupNorm conv_norm_out{nullptr};
};
TORCH_MODULE(UNet2DConditionModel);

}  // namespace musetalk::nn
