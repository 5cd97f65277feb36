#include "model/synthetic_weights.h"

#include <cmath>
#include <cstdint>

namespace musetalk {
namespace {

uint64_t fnv1a64(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

torch::Tensor synthetic_tensor(const std::string& name, const std::vector<int64_t>& shape,
                               double lo, double hi, torch::ScalarType dtype) {
  if (dtype == torch::kInt64) return torch::zeros(shape, torch::kInt64);
  torch::Tensor t = torch::empty(shape, torch::kFloat32);
  float* out = t.data_ptr<float>();
  const uint64_t h = fnv1a64(name);
  const int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) {
    uint64_t x = h + static_cast<uint64_t>(i + 1) * 0x9E3779B97F4A7C15ULL;
    uint64_t z = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z = z ^ (z >> 31);
    const double u = static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);  // 2^-53
    out[i] = static_cast<float>(lo + (hi - lo) * u);
  }
  return dtype == torch::kFloat32 ? t : t.to(dtype);
}

StateDict synthetic_weights_for(const torch::nn::Module& module) {
  StateDict out;
  auto add = [&](const std::string& name, const torch::Tensor& like) {
    std::vector<int64_t> shape = like.sizes().vec();
    double lo = -0.1, hi = 0.1;
    if (like.scalar_type() == torch::kInt64) {
      out.insert(name, torch::zeros(shape, torch::kInt64));
      return;
    }
    const bool is_norm = name.find("norm") != std::string::npos || like.dim() == 1;
    if (ends_with(name, "running_var")) {
      lo = 0.5, hi = 1.5;
    } else if (ends_with(name, "running_mean")) {
      lo = -0.1, hi = 0.1;
    } else if (like.dim() >= 2) {
      const double fan_in = static_cast<double>(like.numel() / like.size(0));
      hi = 1.0 / std::sqrt(fan_in);
      lo = -hi;
    } else if (is_norm && ends_with(name, "weight")) {
      lo = 0.8, hi = 1.2;
    }
    out.insert(name, synthetic_tensor(name, shape, lo, hi));
  };
  for (const auto& p : module.named_parameters(true)) add(p.key(), p.value());
  for (const auto& b : module.named_buffers(true)) add(b.key(), b.value());
  return out;
}

}  // namespace musetalk
