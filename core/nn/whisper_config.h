#pragma once
// The encoder half of a Hugging Face Whisper config.json (transformers
// models/whisper/configuration_whisper.py WhisperConfig).

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace musetalk::nn {

struct WhisperConfig {
  int64_t d_model = 384;
  int64_t encoder_layers = 4;
  int64_t encoder_attention_heads = 6;
  int64_t encoder_ffn_dim = 1536;  // HF's default when config.json leaves it out
  int64_t num_mel_bins = 80;
  int64_t max_source_positions = 1500;

  // Reads the keys above; throws Error(source, ...) for a missing required key, an activation
  // other than "gelu" or heads that do not divide d_model.
  static WhisperConfig from_json(const nlohmann::ordered_json& config, const std::string& source);
};

}  // namespace musetalk::nn
