#pragma once
// MuseTalk's PositionalEncoding(d_model=384) added to the audio tokens before the UNet
// (musetalk/models/unet.py): pe[p, 2i] = sin(p w_i), pe[p, 2i+1] = cos(p w_i),
// w_i = exp(-2i ln(10000) / d). Interleaved sin/cos, unlike Whisper's concatenated table.

#include <torch/torch.h>

namespace musetalk::audio {

// The (length, d_model) table in float32.
torch::Tensor positional_encoding_table(int64_t length, int64_t d_model);

// tokens (B, L, d) + pe[:L], in the tokens' dtype and device.
torch::Tensor add_positional_encoding(const torch::Tensor& tokens);

}  // namespace musetalk::audio
