#include "nn/unet_blocks.h"

namespace musetalk::nn {
namespace {

ResnetBlock2D resnet(const UNetBlockOptions& o, int64_t in_channels) {
  return ResnetBlock2D(in_channels, o.out_channels, o.groups, o.eps, o.temb_channels);
}

Transformer2DModel transformer(const UNetBlockOptions& o, int64_t channels) {
  return Transformer2DModel(channels, o.heads, o.transformer_layers, o.cross_dim, o.groups);
}

}  // namespace

DownBlock2DImpl::DownBlock2DImpl(const UNetBlockOptions& o) {
  torch::nn::ModuleList resnets, attentions;
  for (int64_t i = 0; i < o.layers; ++i) {
    resnets_.push_back(resnet(o, i == 0 ? o.in_channels : o.out_channels));
    resnets->push_back(resnets_.back());
    if (o.heads > 0) {
      attentions_.push_back(transformer(o, o.out_channels));
      attentions->push_back(attentions_.back());
    }
  }
  register_module("resnets", resnets);
  if (o.heads > 0) register_module("attentions", attentions);
  if (o.resample) {
    torch::nn::ModuleList downsamplers;
    downsampler_ = Downsample2D(o.out_channels, o.downsample_padding);
    downsamplers->push_back(downsampler_);
    register_module("downsamplers", downsamplers);
  }
}

torch::Tensor DownBlock2DImpl::forward(torch::Tensor x, const torch::Tensor& context,
                                       std::vector<torch::Tensor>& skips) {
  for (size_t i = 0; i < resnets_.size(); ++i) {
    x = resnets_[i](x);
    if (!attentions_.empty()) x = attentions_[i](x, context);
    skips.push_back(x);
  }
  if (downsampler_) {
    x = downsampler_(x);
    skips.push_back(x);
  }
  return x;
}

UNetMidBlock2DCrossAttnImpl::UNetMidBlock2DCrossAttnImpl(const UNetBlockOptions& o,
                                                         double output_scale_factor)
    : output_scale_factor_(output_scale_factor) {
  torch::nn::ModuleList resnets, attentions;
  for (int i = 0; i < 2; ++i) {
    resnets_.push_back(resnet(o, o.out_channels));
    resnets->push_back(resnets_.back());
  }
  attention_ = transformer(o, o.out_channels);
  attentions->push_back(attention_);
  register_module("attentions", attentions);
  register_module("resnets", resnets);
}

torch::Tensor UNetMidBlock2DCrossAttnImpl::forward(const torch::Tensor& x,
                                                   const torch::Tensor& context) {
  torch::Tensor h = resnets_[0](x) / output_scale_factor_;
  h = attention_(h, context);
  return resnets_[1](h) / output_scale_factor_;
}

UpBlock2DImpl::UpBlock2DImpl(const UNetBlockOptions& o) {
  torch::nn::ModuleList resnets, attentions;
  for (int64_t i = 0; i < o.layers; ++i) {
    // The last resnet's skip comes from the block's input level, the others from its own.
    const int64_t skip_channels = i == o.layers - 1 ? o.in_channels : o.out_channels;
    const int64_t from_below = i == 0 ? o.prev_output_channels : o.out_channels;
    resnets_.push_back(resnet(o, from_below + skip_channels));
    resnets->push_back(resnets_.back());
    if (o.heads > 0) {
      attentions_.push_back(transformer(o, o.out_channels));
      attentions->push_back(attentions_.back());
    }
  }
  register_module("resnets", resnets);
  if (o.heads > 0) register_module("attentions", attentions);
  if (o.resample) {
    torch::nn::ModuleList upsamplers;
    upsampler_ = Upsample2D(o.out_channels);
    upsamplers->push_back(upsampler_);
    register_module("upsamplers", upsamplers);
  }
}

torch::Tensor UpBlock2DImpl::forward(torch::Tensor x, const torch::Tensor& context,
                                     std::vector<torch::Tensor>& skips) {
  for (size_t i = 0; i < resnets_.size(); ++i) {
    x = torch::cat({x, skips.back()}, 1);  // (B, C_x + C_skip, H, W): x first
    skips.pop_back();
    x = resnets_[i](x);
    if (!attentions_.empty()) x = attentions_[i](x, context);
  }
  return upsampler_ ? upsampler_(x) : x;
}

}  // namespace musetalk::nn
