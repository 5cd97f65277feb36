#include "nn/vae_config.h"

#include <string>

#include "files/error.h"
#include "files/json_file.h"

namespace musetalk::nn {
namespace {

const char* const kSource = "VAE config";

using nlohmann::ordered_json;

std::vector<int64_t> int_list(const ordered_json& json) {
  std::vector<int64_t> out;
  for (const ordered_json& item : files::json_array(json)) {
    out.push_back(files::json_as<int64_t>(item));
  }
  return out;
}

// Every entry of `types` (json[key]) must be `expected`, one per block.
void check_block_types(const ordered_json& types, const std::string& key,
                       const std::string& expected, size_t blocks) {
  if (files::json_array(types).size() != blocks) {
    throw Error(kSource,
                key + " has " + std::to_string(types.size()) +
                    " entries but block_out_channels has " + std::to_string(blocks),
                "give one block type per entry of block_out_channels");
  }
  for (const ordered_json& item : types) {
    const std::string type = files::json_as<std::string>(item);
    if (type != expected) {
      throw Error(kSource, key + " contains \"" + type + "\"; only " + expected + " is supported");
    }
  }
}

}  // namespace

VaeConfig VaeConfig::from_json(const ordered_json& json) {
  VaeConfig c;
  // Reads json[key] with `read` when present; a value of the wrong type is an Error naming key.
  auto field = [&](const char* key, const std::function<void(const ordered_json&)>& read) {
    files::read_json_field(json, key, kSource, "check the config file", read);
  };
  field("in_channels", [&](const ordered_json& v) { c.in_channels = files::json_as<int64_t>(v); });
  field("out_channels",
        [&](const ordered_json& v) { c.out_channels = files::json_as<int64_t>(v); });
  field("layers_per_block",
        [&](const ordered_json& v) { c.layers_per_block = files::json_as<int64_t>(v); });
  field("latent_channels",
        [&](const ordered_json& v) { c.latent_channels = files::json_as<int64_t>(v); });
  field("norm_num_groups",
        [&](const ordered_json& v) { c.norm_num_groups = files::json_as<int64_t>(v); });
  field("block_out_channels", [&](const ordered_json& v) { c.block_out_channels = int_list(v); });
  field("scaling_factor",
        [&](const ordered_json& v) { c.scaling_factor = files::json_as<double>(v); });
  field("act_fn", [&](const ordered_json& v) {
    const std::string act = files::json_as<std::string>(v);
    if (act != "silu") {
      throw Error(kSource, "act_fn is \"" + act + "\"; only silu is supported");
    }
  });
  if (c.block_out_channels.empty()) throw Error(kSource, "block_out_channels is empty");
  field("down_block_types", [&](const ordered_json& v) {
    check_block_types(v, "down_block_types", "DownEncoderBlock2D", c.block_out_channels.size());
  });
  field("up_block_types", [&](const ordered_json& v) {
    check_block_types(v, "up_block_types", "UpDecoderBlock2D", c.block_out_channels.size());
  });
  for (const char* key : {"mid_block_add_attention", "use_quant_conv", "use_post_quant_conv"}) {
    // Implemented only in their default (true) setting.
    field(key, [&](const ordered_json& v) {
      if (!files::json_as<bool>(v))
        throw Error(kSource, std::string(key) + " is false; only true is supported");
    });
  }
  return c;
}

}  // namespace musetalk::nn
