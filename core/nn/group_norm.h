#pragma once
// torch::nn::GroupNorm (same options, parameters "weight" and "bias") whose statistics are
// computed in float32 when a bf16 or fp16 input runs on the CPU. LibTorch's CPU kernel works in
// the input's dtype there (pytorch/pytorch#77507), and on the VAE decoder's channels-last
// activations in bf16 that is off by more than the activations themselves; CUDA's kernel
// accumulates in float32 already, so CUDA inputs take LibTorch's kernel unchanged.

#include <torch/torch.h>

namespace musetalk::nn {

class GroupNormImpl : public torch::nn::GroupNormImpl {
 public:
  using torch::nn::GroupNormImpl::GroupNormImpl;
  // x: (B, C, ...) any float dtype; returns x's shape and dtype.
  torch::Tensor forward(const torch::Tensor& x);
};
TORCH_MODULE(GroupNorm);

GroupNorm group_norm(int64_t groups, int64_t channels, double eps);

}  // namespace musetalk::nn
