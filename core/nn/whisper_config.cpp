#include "nn/whisper_config.h"

#include "files/error.h"

namespace musetalk::nn {

WhisperConfig WhisperConfig::from_json(const files::Json& config, const std::string& source) {
  WhisperConfig c;
  try {
    c.d_model = config.at("d_model").as_int();
    c.encoder_layers = config.at("encoder_layers").as_int();
    c.encoder_attention_heads = config.at("encoder_attention_heads").as_int();
    if (const files::Json* ffn = config.find("encoder_ffn_dim")) c.encoder_ffn_dim = ffn->as_int();
    c.num_mel_bins = config.at("num_mel_bins").as_int();
    c.max_source_positions = config.at("max_source_positions").as_int();
    if (const files::Json* act = config.find("activation_function")) {
      if (act->as_string() != "gelu") {
        throw Error(source, "unsupported Whisper activation_function \"" + act->as_string() + "\"",
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
