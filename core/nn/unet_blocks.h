#pragma once
// The UNet's down, mid and up blocks (diffusers/models/unets/unet_2d_blocks.py). The cross-
// attention and plain variants differ only in the transformer after each resnet, so one class
// covers both (heads = 0: no attention). Resnets take the time embedding as a precomputed bias
// (ResnetBlock2D::set_time_embedding), so forward() has no temb argument.

#include <torch/torch.h>

#include <vector>

#include "nn/resnet.h"
#include "nn/transformer_2d.h"

namespace musetalk::nn {

struct UNetBlockOptions {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t temb_channels = 0;
  int64_t layers = 0;              // resnets (down: layers_per_block, up: layers_per_block + 1)
  int64_t heads = 0;               // 0: no transformers (DownBlock2D / UpBlock2D)
  int64_t transformer_layers = 1;  // BasicTransformerBlocks per Transformer2DModel
  int64_t cross_dim = 0;
  int64_t groups = 32;
  double eps = 1e-5;
  bool resample = false;  // add the downsampler / upsampler
  int64_t downsample_padding = 1;
  int64_t prev_output_channels = 0;  // up blocks: channels coming from the block below
};

// diffusers/models/unets/unet_2d_blocks.py CrossAttnDownBlock2D (heads > 0) and DownBlock2D.
class DownBlock2DImpl : public torch::nn::Module {
 public:
  explicit DownBlock2DImpl(const UNetBlockOptions& o);
  // Returns the block output; appends every resnet(+attention) output and the downsampler
  // output to `skips`.
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& context,
                        std::vector<torch::Tensor>& skips);

 private:
  std::vector<ResnetBlock2D> resnets_;
  std::vector<Transformer2DModel> attentions_;
  Downsample2D downsampler_{nullptr};
};
TORCH_MODULE(DownBlock2D);

// diffusers/models/unets/unet_2d_blocks.py UNetMidBlock2DCrossAttn (one layer):
// resnet, transformer, resnet; resnet outputs divided by output_scale_factor.
class UNetMidBlock2DCrossAttnImpl : public torch::nn::Module {
 public:
  UNetMidBlock2DCrossAttnImpl(const UNetBlockOptions& o, double output_scale_factor);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context);

 private:
  double output_scale_factor_;
  std::vector<ResnetBlock2D> resnets_;
  Transformer2DModel attention_{nullptr};
};
TORCH_MODULE(UNetMidBlock2DCrossAttn);

// diffusers/models/unets/unet_2d_blocks.py CrossAttnUpBlock2D (heads > 0) and UpBlock2D.
class UpBlock2DImpl : public torch::nn::Module {
 public:
  explicit UpBlock2DImpl(const UNetBlockOptions& o);
  size_t num_resnets() const { return resnets_.size(); }
  // Pops one skip from the back of `skips` per resnet and concatenates it after x.
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& context,
                        std::vector<torch::Tensor>& skips);

 private:
  std::vector<ResnetBlock2D> resnets_;
  std::vector<Transformer2DModel> attentions_;
  Upsample2D upsampler_{nullptr};
};
TORCH_MODULE(UpBlock2D);

}  // namespace musetalk::nn
