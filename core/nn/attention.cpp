#include "nn/attention.h"

#include <torch/version.h>

#include <cmath>

namespace musetalk::nn {

torch::Tensor multi_head_attention(const torch::Tensor& q, const torch::Tensor& k,
                                   const torch::Tensor& v, int64_t heads) {
  const int64_t b = q.size(0), lq = q.size(1), lk = k.size(1), c = q.size(2);
  const int64_t d = c / heads;
  auto split = [&](const torch::Tensor& x, int64_t len) {
    return x.reshape({b, len, heads, d}).transpose(1, 2);  // [B, heads, L, d]
  };
  torch::Tensor qh = split(q, lq), kh = split(k, lk), vh = split(v, lk);
#if TORCH_VERSION_MAJOR >= 2
  torch::Tensor out = at::scaled_dot_product_attention(qh, kh, vh);
#else
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  torch::Tensor scores = torch::matmul(qh * scale, kh.transpose(-1, -2));  // [B, heads, Lq, Lk]
  torch::Tensor out = torch::matmul(torch::softmax(scores, -1), vh);
#endif
  return out.transpose(1, 2).reshape({b, lq, c});  // [B, Lq, C]
}

}  // namespace musetalk::nn
