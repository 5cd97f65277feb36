#pragma once
// Multi-head scaled dot-product attention on (B, L, C) projections: fused SDPA where the LibTorch
// version has it (2.x), the plain softmax(q k^T / sqrt(d)) v otherwise (1.13).

#include <torch/torch.h>

namespace musetalk::nn {

// q: (B, Lq, C), k and v: (B, Lk, C), C = heads * head_dim. Returns (B, Lq, C).
torch::Tensor multi_head_attention(const torch::Tensor& q, const torch::Tensor& k,
                                   const torch::Tensor& v, int64_t heads);

}  // namespace musetalk::nn
