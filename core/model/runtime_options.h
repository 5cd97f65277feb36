#pragma once
// Device and precision choices shared by every command: "auto" means CUDA in fp16 when a GPU is
// there, else the CPU in fp32; explicit choices override.

#include <torch/torch.h>

#include <string>

namespace musetalk {

enum class Precision { Auto, FP32, FP16, BF16 };

// "auto", "cpu", "cuda", "cuda:N". Throws Error naming the setting ("device cuda:3") for anything
// else, or for a CUDA device this machine does not have.
torch::Device parse_device(const std::string& text);

// "auto", "fp32", "fp16", "bf16".
Precision parse_precision(const std::string& text);

// Auto: fp16 on CUDA, fp32 on the CPU. Throws Error naming the setting ("precision fp16") for
// fp16 on the CPU, which LibTorch cannot run the networks in.
torch::ScalarType resolve_dtype(Precision p, const torch::Device& device);

}  // namespace musetalk
