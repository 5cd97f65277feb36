#include "nn/whisper_config.h"

#include "files/error.h"
#include "files/json_file.h"

namespace musetalk::nn {

WhisperConfig WhisperConfig::from_json(const nlohmann::ordered_json& config,
                                       const std::string& source) {
  WhisperConfig c;
  try {
    c.d_model = files::json_get<int64_t>(config, "d_model");
    c.encoder_layers = files::json_get<int64_t>(config, "encoder_layers");
    c.encoder_attention_heads = files::json_get<int64_t>(config, "encoder_attention_heads");
    if (files::json_find(config, "encoder_ffn_dim")) {
      c.encoder_ffn_dim = files::json_get<int64_t>(config, "encoder_ffn_dim");
    }
    c.num_mel_bins = files::json_get<int64_t>(config, "num_mel_bins");
    c.max_source_positions = files::json_get<int64_t>(config, "max_source_positions");
    if (files::json_find(config, "activation_function")) {
      const std::string act = files::json_get<std::string>(config, "activation_function");
      if (act != "gelu") {
        throw Error(source, "unsupported Whisper activation_function \"" + act + "\"",
                    "only \"gelu\" (whisper-tiny's) is implemented");
      }
    }
  } catch (const files::FormatError& e) {
    throw Error(source, std::string("bad Whisper config: ") + e.what());
  }
  if (c.d_model <= 0 || c.encoder_layers <= 0 || c.encoder_attention_heads <= 0 ||
      c.d_model % c.encoder_attention_heads != 0 || c.encoder_ffn_dim <= 0 || c.num_mel_bins <= 0 ||
      c.max_source_positions <= 0) {
    throw Error(source,
                "bad Whisper config: sizes must be positive and encoder_attention_heads "
                "must divide d_model");
  }
  return c;
}

}  // namespace musetalk::nn
