#include "audio/positional_encoding.h"

#include <cmath>

namespace musetalk::audio {

torch::Tensor positional_encoding_table(int64_t length, int64_t d_model) {
  torch::Tensor position = torch::arange(length, torch::kFloat32).unsqueeze(1);  // [L, 1]
  torch::Tensor div_term = torch::exp(torch::arange(0, d_model, 2, torch::kFloat32) *
                                      (-std::log(10000.0) / static_cast<double>(d_model)));
  torch::Tensor pe = torch::zeros({length, d_model}, torch::kFloat32);
  pe.index_put_({torch::indexing::Slice(), torch::indexing::Slice(0, torch::indexing::None, 2)},
                torch::sin(position * div_term));
  pe.index_put_({torch::indexing::Slice(), torch::indexing::Slice(1, torch::indexing::None, 2)},
                torch::cos(position * div_term));
  return pe;  // [L, d]
}

torch::Tensor add_positional_encoding(const torch::Tensor& tokens) {
  const int64_t length = tokens.size(1), d_model = tokens.size(2);
  torch::Tensor pe =
      positional_encoding_table(length, d_model).to(tokens.device(), tokens.scalar_type());
  return tokens + pe.unsqueeze(0);  // [B, L, d]
}

}  // namespace musetalk::audio
