#pragma once
// Hugging Face WhisperEncoder (transformers models/whisper/modeling_whisper.py) under the
// checkpoint's module names, returning every hidden state as output_hidden_states=True does.

#include <torch/torch.h>

#include "nn/whisper_config.h"
#include "torch_io/strict_load.h"

namespace musetalk::nn {

class WhisperEncoderLayerImpl : public torch::nn::Module {
 public:
  WhisperEncoderLayerImpl(int64_t d_model, int64_t heads, int64_t ffn_dim);
  torch::Tensor forward(const torch::Tensor& x);  // (B, L, d) -> (B, L, d)

 private:
  struct SelfAttention : torch::nn::Module {
    SelfAttention(int64_t d_model);
    torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};
  };
  int64_t heads_;
  std::shared_ptr<SelfAttention> self_attn;
  torch::nn::LayerNorm self_attn_layer_norm{nullptr}, final_layer_norm{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(WhisperEncoderLayer);

class WhisperEncoderImpl : public torch::nn::Module {
 public:
  explicit WhisperEncoderImpl(const WhisperConfig& config);

  const WhisperConfig& config() const { return config_; }

  // mel (B, num_mel_bins, frames), frames <= 2 * max_source_positions (3000 for 30 s).
  // Returns (B, frames / 2, encoder_layers + 1, d_model): [conv stem + positions, after each
  // layer but the last, after the last layer and the final layer_norm].
  torch::Tensor forward(const torch::Tensor& mel);

 private:
  WhisperConfig config_;
  torch::nn::Conv1d conv1{nullptr}, conv2{nullptr};
  torch::nn::Embedding embed_positions{nullptr};
  torch::nn::ModuleList layers;
  torch::nn::LayerNorm layer_norm{nullptr};
};
TORCH_MODULE(WhisperEncoder);

// Checkpoint name -> encoder module name: strips "model.encoder." (HF WhisperModel /
// WhisperForConditionalGeneration files) or "encoder." (a bare encoder file) and drops every
// other key (decoder, proj_out).
NameMapper whisper_name_mapper();

}  // namespace musetalk::nn
