#include "nn/vae_config.h"

#include <string>

#include "files/error.h"

namespace musetalk::nn {
namespace {

const char* const kSource = "VAE config";

std::vector<int64_t> int_list(const files::Json& json) {
  std::vector<int64_t> out;
  for (const files::Json& item : json.as_array()) out.push_back(item.as_int());
  return out;
}

// Every entry of `types` (json[key]) must be `expected`, one per block.
void check_block_types(const files::Json& types, const std::string& key,
                       const std::string& expected, size_t blocks) {
  if (types.as_array().size() != blocks) {
    throw Error(kSource,
                key + " has " + std::to_string(types.as_array().size()) +
                    " entries but block_out_channels has " + std::to_string(blocks),
                "give one block type per entry of block_out_channels");
  }
  for (const files::Json& type : types.as_array()) {
    if (type.as_string() != expected) {
      throw Error(kSource, key + " contains \"" + type.as_string() + "\"; only " + expected +
                               " is supported");
    }
  }
}

}  // namespace

VaeConfig VaeConfig::from_json(const files::Json& json) {
  VaeConfig c;
  // Reads json[key] with `read` when present; a value of the wrong type is an Error naming key.
  auto field = [&](const char* key, auto read) {
    const files::Json* value = json.find(key);
    if (!value) return;
    try {
      read(*value);
    } catch (const files::FormatError& e) {
      throw Error(kSource, std::string(key) + ": " + e.what(), "check the config file");
    }
  };
  field("in_channels", [&](const files::Json& v) { c.in_channels = v.as_int(); });
  field("out_channels", [&](const files::Json& v) { c.out_channels = v.as_int(); });
  field("layers_per_block", [&](const files::Json& v) { c.layers_per_block = v.as_int(); });
  field("latent_channels", [&](const files::Json& v) { c.latent_channels = v.as_int(); });
  field("norm_num_groups", [&](const files::Json& v) { c.norm_num_groups = v.as_int(); });
  field("block_out_channels", [&](const files::Json& v) { c.block_out_channels = int_list(v); });
  field("scaling_factor", [&](const files::Json& v) { c.scaling_factor = v.as_double(); });
  field("act_fn", [&](const files::Json& v) {
    if (v.as_string() != "silu") {
      throw Error(kSource, "act_fn is \"" + v.as_string() + "\"; only silu is supported");
    }
  });
  if (c.block_out_channels.empty()) throw Error(kSource, "block_out_channels is empty");
  field("down_block_types", [&](const files::Json& v) {
    check_block_types(v, "down_block_types", "DownEncoderBlock2D", c.block_out_channels.size());
  });
  field("up_block_types", [&](const files::Json& v) {
    check_block_types(v, "up_block_types", "UpDecoderBlock2D", c.block_out_channels.size());
  });
  for (const char* key : {"mid_block_add_attention", "use_quant_conv", "use_post_quant_conv"}) {
    // Implemented only in their default (true) setting.
    field(key, [&](const files::Json& v) {
      if (!v.as_bool())
        throw Error(kSource, std::string(key) + " is false; only true is supported");
    });
  }
  return c;
}

}  // namespace musetalk::nn
