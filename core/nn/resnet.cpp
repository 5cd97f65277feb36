#include "nn/resnet.h"

namespace musetalk::nn {

namespace F = torch::nn::functional;

torch::nn::Conv2d conv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding,
                         bool bias) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(bias));
}

ResnetBlock2DImpl::ResnetBlock2DImpl(int64_t in_channels, int64_t out_channels, int64_t groups,
                                     double eps, int64_t temb_channels) {
  norm1 = register_module("norm1", group_norm(groups, in_channels, eps));
  conv1 = register_module("conv1", conv2d(in_channels, out_channels, 3, 1, 1));
  if (temb_channels > 0) {
    time_emb_proj =
        register_module("time_emb_proj", torch::nn::Linear(temb_channels, out_channels));
  }
  norm2 = register_module("norm2", group_norm(groups, out_channels, eps));
  conv2 = register_module("conv2", conv2d(out_channels, out_channels, 3, 1, 1));
  if (in_channels != out_channels) {
    conv_shortcut = register_module("conv_shortcut", conv2d(in_channels, out_channels, 1));
  }
}

void ResnetBlock2DImpl::set_time_embedding(const torch::Tensor& temb) {
  if (!time_emb_proj) return;
  time_bias_ = time_emb_proj(torch::silu(temb)).unsqueeze(-1).unsqueeze(-1);  // [1, out, 1, 1]
}

torch::Tensor ResnetBlock2DImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = conv1(torch::silu(norm1(x)));
  if (time_bias_.defined()) h = h + time_bias_.to(h.dtype());
  h = conv2(torch::silu(norm2(h)));
  return (conv_shortcut ? conv_shortcut(x) : x) + h;
}

Downsample2DImpl::Downsample2DImpl(int64_t channels, int64_t padding) : padding_(padding) {
  conv = register_module("conv", conv2d(channels, channels, 3, 2, padding));
}

torch::Tensor Downsample2DImpl::forward(const torch::Tensor& x) {
  if (padding_ == 0) return conv(F::pad(x, F::PadFuncOptions({0, 1, 0, 1})));
  return conv(x);
}

Upsample2DImpl::Upsample2DImpl(int64_t channels) {
  conv = register_module("conv", conv2d(channels, channels, 3, 1, 1));
}

torch::Tensor Upsample2DImpl::forward(const torch::Tensor& x) {
  auto opts =
      F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest);
  return conv(F::interpolate(x, opts));
}

}  // namespace musetalk::nn
