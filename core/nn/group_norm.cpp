#include "nn/group_norm.h"

namespace musetalk::nn {

torch::Tensor GroupNormImpl::forward(const torch::Tensor& x) {
  const torch::ScalarType dtype = x.scalar_type();
  const bool reduced = dtype == torch::kBFloat16 || dtype == torch::kFloat16;
  if (!reduced || !x.device().is_cpu()) return torch::nn::GroupNormImpl::forward(x);
  auto as_float = [](const torch::Tensor& t) { return t.defined() ? t.to(torch::kFloat32) : t; };
  return torch::group_norm(x.to(torch::kFloat32), options.num_groups(), as_float(weight),
                           as_float(bias), options.eps())
      .to(dtype);
}

GroupNorm group_norm(int64_t groups, int64_t channels, double eps) {
  return GroupNorm(torch::nn::GroupNormOptions(groups, channels).eps(eps));
}

}  // namespace musetalk::nn
