#pragma once
// The fixtures' synthetic weights: every tensor is a pure function of its checkpoint name
// (FNV-1a-64 of the name seeds a SplitMix64 stream; fixtures/README.md), so the benchmarks and
// tests can build real-size weights without downloading anything.

#include <string>
#include <vector>

#include "torch_io/state_dict.h"

namespace musetalk {

// float32 values in [lo, hi); int64 tensors are zero.
torch::Tensor synthetic_tensor(const std::string& name, const std::vector<int64_t>& shape,
                               double lo, double hi, torch::ScalarType dtype = torch::kFloat32);

// Synthetic weights for every parameter and buffer of a module, named as the module names them:
// weights uniform in +-1/sqrt(fan_in), biases +-0.1, norm scales in [0.8, 1.2], running
// variances in [0.5, 1.5]. For benchmarks and tests of real-size configurations.
StateDict synthetic_weights_for(const torch::nn::Module& module);

}  // namespace musetalk
