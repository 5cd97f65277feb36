#include "nn/unet_config.h"

#include <algorithm>
#include <functional>

#include "files/error.h"
#include "files/json_file.h"

namespace musetalk::nn {
namespace {

using nlohmann::ordered_json;

const char* kSource = "UNet config";

[[noreturn]] void fail(const std::string& key, const std::string& problem) {
  throw Error(kSource, "\"" + key + "\": " + problem,
              "use a UNet2DConditionModel config of the SD-1.x layout MuseTalk uses "
              "(musetalkV15/musetalk.json)");
}

// Runs a typed read of `key`, turning the JSON type error into an Error naming the key.
template <typename T>
T read(const std::string& key, const std::function<T()>& fn) {
  try {
    return fn();
  } catch (const files::FormatError& e) {
    fail(key, e.what());
  }
}

// The member's value, or nullptr when it is absent or null (diffusers' default applies).
const ordered_json* value(const ordered_json& config, const std::string& key) {
  const ordered_json* v = files::json_find(config, key);
  return v && !v->is_null() ? v : nullptr;
}

void read_int(const ordered_json& config, const std::string& key, int64_t& out) {
  if (const ordered_json* v = value(config, key)) {
    out = read<int64_t>(key, [&] { return files::json_as<int64_t>(*v); });
  }
}

void read_double(const ordered_json& config, const std::string& key, double& out) {
  if (const ordered_json* v = value(config, key)) {
    out = read<double>(key, [&] { return files::json_as<double>(*v); });
  }
}

void read_bool(const ordered_json& config, const std::string& key, bool& out) {
  if (const ordered_json* v = value(config, key)) {
    out = read<bool>(key, [&] { return files::json_as<bool>(*v); });
  }
}

void read_strings(const ordered_json& config, const std::string& key,
                  std::vector<std::string>& out) {
  const ordered_json* v = value(config, key);
  if (!v) return;
  out = read<std::vector<std::string>>(key, [&] {
    std::vector<std::string> items;
    for (const ordered_json& item : files::json_array(*v)) {
      items.push_back(files::json_as<std::string>(item));
    }
    return items;
  });
}

// An int or a list of ints; an int applies to every one of `n` blocks.
void read_per_block(const ordered_json& config, const std::string& key, size_t n,
                    std::vector<int64_t>& out) {
  const ordered_json* v = value(config, key);
  if (!v) {
    out.assign(n, out.empty() ? 0 : out.front());
    return;
  }
  out = read<std::vector<int64_t>>(key, [&] {
    if (!v->is_array()) return std::vector<int64_t>(n, files::json_as<int64_t>(*v));
    std::vector<int64_t> items;
    for (const ordered_json& item : *v) items.push_back(files::json_as<int64_t>(item));
    return items;
  });
  if (out.size() != n) {
    fail(key, "has " + std::to_string(out.size()) + " entries for " + std::to_string(n) +
                  " down blocks");
  }
}

bool same(const ordered_json& a, const ordered_json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  return a == b;
}

// Keys whose only supported value is their diffusers default.
void require_default(const ordered_json& config, const std::string& key,
                     const ordered_json& expected) {
  const ordered_json* v = value(config, key);
  if (!v || same(*v, expected)) return;
  if (v->is_array() && expected.is_boolean()) {
    // Per-block booleans (only_cross_attention): every entry must be the default.
    for (const ordered_json& item : *v) {
      if (!same(item, expected)) fail(key, "only " + expected.dump() + " is supported");
    }
    return;
  }
  fail(key, v->dump() + " is not supported (only " + expected.dump() + ")");
}

void require_absent(const ordered_json& config, const std::string& key) {
  if (const ordered_json* v = value(config, key))
    fail(key, v->dump() + " is not supported (only null)");
}

}  // namespace

int64_t UNetConfig::time_embed_dim() const {
  return time_embedding_dim > 0 ? time_embedding_dim : block_out_channels.at(0) * 4;
}

UNetConfig UNetConfig::from_json(const ordered_json& config) {
  if (!config.is_object()) fail("(config)", "the config is not a JSON object");
  UNetConfig c;
  if (const ordered_json* name = value(config, "_class_name")) {
    const std::string cls =
        read<std::string>("_class_name", [&] { return files::json_as<std::string>(*name); });
    if (cls != "UNet2DConditionModel") fail("_class_name", cls + " is not UNet2DConditionModel");
  }
  read_int(config, "in_channels", c.in_channels);
  read_int(config, "out_channels", c.out_channels);
  read_bool(config, "center_input_sample", c.center_input_sample);
  read_bool(config, "flip_sin_to_cos", c.flip_sin_to_cos);
  read_double(config, "freq_shift", c.freq_shift);
  read_strings(config, "down_block_types", c.down_block_types);
  read_strings(config, "up_block_types", c.up_block_types);
  if (const ordered_json* v = value(config, "block_out_channels")) {
    c.block_out_channels = read<std::vector<int64_t>>("block_out_channels", [&] {
      std::vector<int64_t> items;
      for (const ordered_json& item : files::json_array(*v)) {
        items.push_back(files::json_as<int64_t>(item));
      }
      return items;
    });
  }
  const size_t n = c.block_out_channels.size();
  read_per_block(config, "layers_per_block", n, c.layers_per_block);
  read_per_block(config, "transformer_layers_per_block", n, c.transformer_layers_per_block);
  // diffusers 0.30.2: num_attention_heads = num_attention_heads or attention_head_dim.
  const char* heads_key =
      value(config, "num_attention_heads") ? "num_attention_heads" : "attention_head_dim";
  read_per_block(config, heads_key, n, c.num_attention_heads);
  read_int(config, "downsample_padding", c.downsample_padding);
  read_double(config, "mid_block_scale_factor", c.mid_block_scale_factor);
  if (const ordered_json* v = files::json_find(config, "norm_num_groups"); v && v->is_null()) {
    fail("norm_num_groups", "null (no output norm) is not supported");
  }
  read_int(config, "norm_num_groups", c.norm_num_groups);
  read_double(config, "norm_eps", c.norm_eps);
  if (const ordered_json* v = value(config, "cross_attention_dim"); v && v->is_array()) {
    fail("cross_attention_dim", "per-block values are not supported (only one int)");
  }
  read_int(config, "cross_attention_dim", c.cross_attention_dim);
  read_int(config, "time_embedding_dim", c.time_embedding_dim);
  read_int(config, "conv_in_kernel", c.conv_in_kernel);
  read_int(config, "conv_out_kernel", c.conv_out_kernel);

  if (const ordered_json* v = value(config, "act_fn")) {
    const std::string act =
        read<std::string>("act_fn", [&] { return files::json_as<std::string>(*v); });
    if (act != "silu" && act != "swish") fail("act_fn", "\"" + act + "\" is not supported (silu)");
  }
  if (const ordered_json* v = files::json_find(config, "mid_block_type")) {
    if (!same(*v, ordered_json("UNetMidBlock2DCrossAttn"))) {
      fail("mid_block_type", v->dump() + " is not supported (only UNetMidBlock2DCrossAttn)");
    }
  }
  require_default(config, "use_linear_projection", ordered_json(false));
  require_default(config, "only_cross_attention", ordered_json(false));
  require_default(config, "mid_block_only_cross_attention", ordered_json(false));
  require_default(config, "dual_cross_attention", ordered_json(false));
  require_default(config, "upcast_attention", ordered_json(false));
  require_default(config, "resnet_skip_time_act", ordered_json(false));
  require_default(config, "class_embeddings_concat", ordered_json(false));
  require_default(config, "resnet_out_scale_factor", ordered_json(1.0));
  require_default(config, "resnet_time_scale_shift", ordered_json("default"));
  require_default(config, "time_embedding_type", ordered_json("positional"));
  require_default(config, "attention_type", ordered_json("default"));
  for (const char* key :
       {"class_embed_type", "addition_embed_type", "encoder_hid_dim", "encoder_hid_dim_type",
        "time_cond_proj_dim", "num_class_embeds", "projection_class_embeddings_input_dim",
        "timestep_post_act", "time_embedding_act_fn", "cross_attention_norm",
        "addition_time_embed_dim", "reverse_transformer_layers_per_block"}) {
    require_absent(config, key);
  }
  c.validate();
  return c;
}

void UNetConfig::validate() const {
  const size_t n = num_blocks();
  if (n == 0) fail("block_out_channels", "is empty");
  if (down_block_types.size() != n)
    fail("down_block_types", "needs one entry per block_out_channels");
  if (up_block_types.size() != n) fail("up_block_types", "needs one entry per block_out_channels");
  for (const std::string& t : down_block_types) {
    if (t != "CrossAttnDownBlock2D" && t != "DownBlock2D") {
      fail("down_block_types",
           "\"" + t + "\" is not supported (CrossAttnDownBlock2D, DownBlock2D)");
    }
  }
  for (const std::string& t : up_block_types) {
    if (t != "CrossAttnUpBlock2D" && t != "UpBlock2D") {
      fail("up_block_types", "\"" + t + "\" is not supported (CrossAttnUpBlock2D, UpBlock2D)");
    }
  }
  auto positive = [](const std::vector<int64_t>& v) {
    return std::all_of(v.begin(), v.end(), [](int64_t x) { return x > 0; });
  };
  if (!positive(block_out_channels)) fail("block_out_channels", "must be positive");
  if (layers_per_block.size() != n || !positive(layers_per_block)) {
    fail("layers_per_block", "needs a positive value per block");
  }
  if (transformer_layers_per_block.size() != n || !positive(transformer_layers_per_block)) {
    fail("transformer_layers_per_block", "needs a positive value per block");
  }
  if (num_attention_heads.size() != n || !positive(num_attention_heads)) {
    fail("attention_head_dim", "needs a positive number of heads per block");
  }
  for (size_t i = 0; i < n; ++i) {
    if (block_out_channels[i] % norm_num_groups != 0) {
      fail("norm_num_groups",
           "does not divide block_out_channels " + std::to_string(block_out_channels[i]));
    }
  }
  if (in_channels <= 0 || out_channels <= 0) fail("in_channels/out_channels", "must be positive");
  if (cross_attention_dim <= 0) fail("cross_attention_dim", "must be positive");
  if (conv_in_kernel % 2 == 0) fail("conv_in_kernel", "must be odd");
  if (conv_out_kernel % 2 == 0) fail("conv_out_kernel", "must be odd");
  if (mid_block_scale_factor <= 0) fail("mid_block_scale_factor", "must be positive");
}

}  // namespace musetalk::nn
