#pragma once
// diffusers/models/resnet.py ResnetBlock2D, Downsample2D, Upsample2D: shared by the UNet and the
// VAE. The UNet always runs at t = 0, so a resnet's time projection is a constant per block: it
// is computed once by set_time_embedding() and added as a bias.

#include <torch/torch.h>

#include "nn/group_norm.h"

namespace musetalk::nn {

class ResnetBlock2DImpl : public torch::nn::Module {
 public:
  // temb_channels = 0: no time embedding (VAE).
  ResnetBlock2DImpl(int64_t in_channels, int64_t out_channels, int64_t groups, double eps,
                    int64_t temb_channels = 0);

  // Precomputes time_emb_proj(SiLU(temb)) for a fixed temb (B = 1).
  void set_time_embedding(const torch::Tensor& temb);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  GroupNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv_shortcut{nullptr};
  torch::nn::Linear time_emb_proj{nullptr};
  torch::Tensor time_bias_;  // [1, out, 1, 1]
};
TORCH_MODULE(ResnetBlock2D);

// padding 1: conv 3x3 stride 2 pad 1 (UNet); padding 0: zero-pad right and bottom by one, then
// conv 3x3 stride 2 (VAE encoder; diffusers models/downsampling.py Downsample2D.forward).
class Downsample2DImpl : public torch::nn::Module {
 public:
  Downsample2DImpl(int64_t channels, int64_t padding);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  int64_t padding_;
  torch::nn::Conv2d conv{nullptr};
};
TORCH_MODULE(Downsample2D);

// Nearest x2, then conv 3x3 pad 1.
class Upsample2DImpl : public torch::nn::Module {
 public:
  explicit Upsample2DImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv{nullptr};
};
TORCH_MODULE(Upsample2D);

torch::nn::Conv2d conv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1,
                         int64_t padding = 0, bool bias = true);

}  // namespace musetalk::nn
