#include "nn/transformer_2d.h"

#include "nn/attention.h"
#include "nn/resnet.h"

namespace musetalk::nn {

AttentionImpl::AttentionImpl(int64_t query_dim, int64_t context_dim, int64_t heads,
                             int64_t head_dim)
    : heads_(heads) {
  const int64_t inner = heads * head_dim;
  auto linear = [](int64_t in, int64_t out, bool bias) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
  };
  to_q = register_module("to_q", linear(query_dim, inner, false));
  to_k = register_module("to_k", linear(context_dim, inner, false));
  to_v = register_module("to_v", linear(context_dim, inner, false));
  // to_out is [Linear, Dropout]; only the Linear has weights.
  torch::nn::ModuleList to_out;
  to_out_0 = linear(inner, query_dim, true);
  to_out->push_back(to_out_0);
  register_module("to_out", to_out);
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& context) {
  return to_out_0(multi_head_attention(to_q(x), to_k(context), to_v(context), heads_));
}

FeedForwardImpl::FeedForwardImpl(int64_t dim, int64_t inner_dim) {
  // Checkpoint names ff.net.0.proj and ff.net.2: net.0 is the GEGLU module holding `proj`, net.1
  // the dropout (an Identity here, to keep the indices).
  torch::nn::ModuleList net;
  auto geglu = std::make_shared<torch::nn::Module>("GEGLU");
  proj = geglu->register_module("proj", torch::nn::Linear(dim, inner_dim * 2));
  out = torch::nn::Linear(inner_dim, dim);
  net->push_back(geglu);
  net->push_back(torch::nn::Identity());
  net->push_back(out);
  register_module("net", net);
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  // diffusers/models/activations.py GEGLU: value half first, gate half second.
  std::vector<torch::Tensor> halves = proj(x).chunk(2, -1);  // 2 x (B, L, inner)
  return out(halves[0] * torch::gelu(halves[1]));
}

BasicTransformerBlockImpl::BasicTransformerBlockImpl(int64_t dim, int64_t heads, int64_t head_dim,
                                                     int64_t cross_dim) {
  auto layer_norm = [dim] {
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(1e-5));
  };
  norm1 = register_module("norm1", layer_norm());
  attn1 = register_module("attn1", Attention(dim, dim, heads, head_dim));
  norm2 = register_module("norm2", layer_norm());
  attn2 = register_module("attn2", Attention(dim, cross_dim, heads, head_dim));
  norm3 = register_module("norm3", layer_norm());
  ff = register_module("ff", FeedForward(dim, dim * 4));
}

torch::Tensor BasicTransformerBlockImpl::forward(const torch::Tensor& x,
                                                 const torch::Tensor& context) {
  torch::Tensor h = norm1(x);
  torch::Tensor y = x + attn1(h, h);
  y = y + attn2(norm2(y), context);
  return y + ff(norm3(y));
}

Transformer2DModelImpl::Transformer2DModelImpl(int64_t channels, int64_t heads, int64_t layers,
                                               int64_t cross_dim, int64_t groups) {
  const int64_t head_dim = channels / heads;
  const int64_t inner = heads * head_dim;
  norm = register_module("norm", group_norm(groups, channels, 1e-6));
  proj_in = register_module("proj_in", conv2d(channels, inner, 1));
  torch::nn::ModuleList list;
  for (int64_t i = 0; i < layers; ++i) {
    blocks_.push_back(BasicTransformerBlock(inner, heads, head_dim, cross_dim));
    list->push_back(blocks_.back());
  }
  register_module("transformer_blocks", list);
  proj_out = register_module("proj_out", conv2d(inner, channels, 1));
}

torch::Tensor Transformer2DModelImpl::forward(const torch::Tensor& x,
                                              const torch::Tensor& context) {
  const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
  torch::Tensor y = proj_in(norm(x));
  const int64_t inner = y.size(1);
  y = y.permute({0, 2, 3, 1}).reshape({b, h * w, inner});  // (B, HW, inner)
  for (auto& block : blocks_) y = block(y, context);
  y = y.reshape({b, h, w, inner}).permute({0, 3, 1, 2}).contiguous();  // (B, inner, H, W)
  return proj_out(y) + x;
}

}  // namespace musetalk::nn
