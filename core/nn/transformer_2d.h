#pragma once
// The UNet's spatial transformer: Transformer2DModel (continuous input, 1x1 conv projections,
// use_linear_projection = false) and its BasicTransformerBlock (self-attention, cross-attention
// to the audio tokens, GEGLU feed-forward), as diffusers 0.30.2 builds them.

#include <torch/torch.h>

#include "nn/group_norm.h"

namespace musetalk::nn {

// diffusers/models/attention_processor.py Attention (AttnProcessor2_0): to_q/to_k/to_v without
// bias, to_out.0 with bias; scale 1/sqrt(head_dim).
class AttentionImpl : public torch::nn::Module {
 public:
  // context_dim: width of the key/value input (query_dim for self-attention).
  AttentionImpl(int64_t query_dim, int64_t context_dim, int64_t heads, int64_t head_dim);
  // x: (B, Lq, query_dim), context: (B, Lk, context_dim). Returns (B, Lq, query_dim).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context);

 private:
  int64_t heads_;
  torch::nn::Linear to_q{nullptr}, to_k{nullptr}, to_v{nullptr}, to_out_0{nullptr};
};
TORCH_MODULE(Attention);

// diffusers/models/attention.py FeedForward with activation_fn "geglu": net.0 = GEGLU
// (proj: dim -> 2 * inner), net.1 = dropout (no weights), net.2 = Linear(inner -> dim).
class FeedForwardImpl : public torch::nn::Module {
 public:
  FeedForwardImpl(int64_t dim, int64_t inner_dim);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Linear proj{nullptr}, out{nullptr};
};
TORCH_MODULE(FeedForward);

// diffusers/models/attention.py BasicTransformerBlock (norm_type "layer_norm", LayerNorm eps
// 1e-5, no only_cross_attention): x + attn1(norm1(x)), + attn2(norm2(x), context), +
// ff(norm3(x)).
class BasicTransformerBlockImpl : public torch::nn::Module {
 public:
  BasicTransformerBlockImpl(int64_t dim, int64_t heads, int64_t head_dim, int64_t cross_dim);
  // x: (B, L, dim), context: (B, Lk, cross_dim).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context);

 private:
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
  Attention attn1{nullptr}, attn2{nullptr};
  FeedForward ff{nullptr};
};
TORCH_MODULE(BasicTransformerBlock);

// diffusers/models/transformers/transformer_2d.py Transformer2DModel: GroupNorm (eps 1e-6),
// proj_in 1x1 conv, `layers` transformer blocks on the (B, HW, C) tokens, proj_out 1x1 conv,
// plus the input.
class Transformer2DModelImpl : public torch::nn::Module {
 public:
  // head_dim = channels / heads (integer division, as diffusers does).
  Transformer2DModelImpl(int64_t channels, int64_t heads, int64_t layers, int64_t cross_dim,
                         int64_t groups);
  // x: (B, C, H, W), context: (B, Lk, cross_dim). Returns (B, C, H, W).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context);

 private:
  GroupNorm norm{nullptr};
  torch::nn::Conv2d proj_in{nullptr}, proj_out{nullptr};
  std::vector<BasicTransformerBlock> blocks_;
};
TORCH_MODULE(Transformer2DModel);

}  // namespace musetalk::nn
