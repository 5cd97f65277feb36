#include "nn/whisper_encoder.h"

#include <string>

#include "nn/attention.h"

namespace musetalk::nn {
namespace {

constexpr double kLayerNormEps = 1e-5;

torch::nn::LayerNorm layer_norm_of(int64_t d_model) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model}).eps(kLayerNormEps));
}

torch::nn::Linear linear(int64_t in, int64_t out, bool bias = true) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

}  // namespace

WhisperEncoderLayerImpl::SelfAttention::SelfAttention(int64_t d_model) {
  q_proj = register_module("q_proj", linear(d_model, d_model));
  k_proj = register_module("k_proj", linear(d_model, d_model, /*bias=*/false));
  v_proj = register_module("v_proj", linear(d_model, d_model));
  out_proj = register_module("out_proj", linear(d_model, d_model));
}

WhisperEncoderLayerImpl::WhisperEncoderLayerImpl(int64_t d_model, int64_t heads, int64_t ffn_dim)
    : heads_(heads) {
  self_attn = register_module("self_attn", std::make_shared<SelfAttention>(d_model));
  self_attn_layer_norm = register_module("self_attn_layer_norm", layer_norm_of(d_model));
  fc1 = register_module("fc1", linear(d_model, ffn_dim));
  fc2 = register_module("fc2", linear(ffn_dim, d_model));
  final_layer_norm = register_module("final_layer_norm", layer_norm_of(d_model));
}

torch::Tensor WhisperEncoderLayerImpl::forward(const torch::Tensor& x) {
  // Pre-LN; the head_dim^-0.5 query scaling of HF happens inside multi_head_attention.
  torch::Tensor h = self_attn_layer_norm(x);
  h = multi_head_attention(self_attn->q_proj(h), self_attn->k_proj(h), self_attn->v_proj(h),
                           heads_);
  torch::Tensor y = x + self_attn->out_proj(h);
  return y + fc2(torch::gelu(fc1(final_layer_norm(y))));
}

WhisperEncoderImpl::WhisperEncoderImpl(const WhisperConfig& config) : config_(config) {
  const int64_t d = config.d_model;
  conv1 = register_module(
      "conv1", torch::nn::Conv1d(torch::nn::Conv1dOptions(config.num_mel_bins, d, 3).padding(1)));
  conv2 = register_module(
      "conv2", torch::nn::Conv1d(torch::nn::Conv1dOptions(d, d, 3).stride(2).padding(1)));
  embed_positions =
      register_module("embed_positions", torch::nn::Embedding(config.max_source_positions, d));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.encoder_layers; ++i) {
    layers->push_back(
        WhisperEncoderLayer(d, config.encoder_attention_heads, config.encoder_ffn_dim));
  }
  layer_norm = register_module("layer_norm", layer_norm_of(d));
}

torch::Tensor WhisperEncoderImpl::forward(const torch::Tensor& mel) {
  TORCH_CHECK(mel.dim() == 3 && mel.size(1) == config_.num_mel_bins &&
                  mel.size(2) <= 2 * config_.max_source_positions,
              "WhisperEncoder: expected mel (B, ", config_.num_mel_bins,
              ", <= ", 2 * config_.max_source_positions, "), got ", mel.sizes());
  torch::Tensor x = torch::gelu(conv1(mel));
  x = torch::gelu(conv2(x)).permute({0, 2, 1});  // (B, L, d)
  x = x + embed_positions->weight.narrow(0, 0, x.size(1));
  std::vector<torch::Tensor> states{x};
  for (size_t i = 0; i < layers->size(); ++i) {
    x = layers[i]->as<WhisperEncoderLayer>()->forward(x);
    // HF appends each layer's input; the last entry is the final layer_norm's output
    // (transformers models/whisper/modeling_whisper.py WhisperEncoder.forward).
    states.push_back(i + 1 < layers->size() ? x : layer_norm(x));
  }
  return torch::stack(states, 2);  // (B, L, layers + 1, d)
}

NameMapper whisper_name_mapper() {
  return [](const std::string& name) -> std::string {
    for (const std::string prefix : {"model.encoder.", "encoder."}) {
      if (name.rfind(prefix, 0) == 0) return name.substr(prefix.size());
    }
    return "";
  };
}

}  // namespace musetalk::nn
