#include "nn/vae_blocks.h"

#include "nn/attention.h"
#include "nn/resnet.h"

namespace musetalk::nn {
namespace {

constexpr double kEps = 1e-6;

}  // namespace

torch::Tensor run_resnets(const torch::nn::ModuleList& resnets, torch::Tensor x) {
  for (const auto& r : *resnets) x = r->as<ResnetBlock2D>()->forward(x);
  return x;
}

VaeAttentionImpl::VaeAttentionImpl(int64_t channels, int64_t groups) {
  group_norm = register_module("group_norm", nn::group_norm(groups, channels, kEps));
  to_q = register_module("to_q", torch::nn::Linear(channels, channels));
  to_k = register_module("to_k", torch::nn::Linear(channels, channels));
  to_v = register_module("to_v", torch::nn::Linear(channels, channels));
  to_out = register_module("to_out", torch::nn::ModuleList(torch::nn::Linear(channels, channels)));
}

torch::Tensor VaeAttentionImpl::forward(const torch::Tensor& x) {
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  torch::Tensor tokens = group_norm(x).flatten(2).transpose(1, 2);  // [B, H*W, C]
  torch::Tensor out = multi_head_attention(to_q(tokens), to_k(tokens), to_v(tokens), 1);
  out = to_out[0]->as<torch::nn::Linear>()->forward(out);  // [B, H*W, C]
  return out.transpose(1, 2).reshape({b, c, h, w}) + x;    // [B, C, H, W]
}

VaeMidBlockImpl::VaeMidBlockImpl(int64_t channels, int64_t groups) {
  resnets = register_module("resnets",
                            torch::nn::ModuleList(ResnetBlock2D(channels, channels, groups, kEps),
                                                  ResnetBlock2D(channels, channels, groups, kEps)));
  attentions = register_module("attentions", torch::nn::ModuleList(VaeAttention(channels, groups)));
}

torch::Tensor VaeMidBlockImpl::forward(torch::Tensor x) {
  x = resnets[0]->as<ResnetBlock2D>()->forward(x);
  x = attentions[0]->as<VaeAttention>()->forward(x);
  return resnets[1]->as<ResnetBlock2D>()->forward(x);
}

DownEncoderBlock2DImpl::DownEncoderBlock2DImpl(int64_t in_channels, int64_t out_channels,
                                               int64_t layers, int64_t groups,
                                               bool add_downsample) {
  resnets = register_module("resnets", torch::nn::ModuleList());
  for (int64_t i = 0; i < layers; ++i) {
    resnets->push_back(
        ResnetBlock2D(i == 0 ? in_channels : out_channels, out_channels, groups, kEps));
  }
  if (add_downsample) {
    downsamplers = register_module(
        "downsamplers", torch::nn::ModuleList(Downsample2D(out_channels, /*padding=*/0)));
  }
}

torch::Tensor DownEncoderBlock2DImpl::forward(torch::Tensor x) {
  x = run_resnets(resnets, x);
  return downsamplers ? downsamplers[0]->as<Downsample2D>()->forward(x) : x;
}

UpDecoderBlock2DImpl::UpDecoderBlock2DImpl(int64_t in_channels, int64_t out_channels,
                                           int64_t layers, int64_t groups, bool add_upsample) {
  resnets = register_module("resnets", torch::nn::ModuleList());
  for (int64_t i = 0; i < layers; ++i) {
    resnets->push_back(
        ResnetBlock2D(i == 0 ? in_channels : out_channels, out_channels, groups, kEps));
  }
  if (add_upsample) {
    upsamplers = register_module("upsamplers", torch::nn::ModuleList(Upsample2D(out_channels)));
  }
}

torch::Tensor UpDecoderBlock2DImpl::forward(torch::Tensor x) {
  x = run_resnets(resnets, x);
  return upsamplers ? upsamplers[0]->as<Upsample2D>()->forward(x) : x;
}

}  // namespace musetalk::nn
