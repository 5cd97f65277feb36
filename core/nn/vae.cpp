#include "nn/vae.h"

#include <array>
#include <string>

#include "nn/resnet.h"

namespace musetalk::nn {
namespace {

constexpr double kEps = 1e-6;

// diffusers/models/modeling_utils.py _convert_deprecated_attention_blocks: {old, current} names
// of the mid-block attention's sub-modules.
constexpr std::array<std::pair<const char*, const char*>, 4> kAttentionRenames = {{
    {"query", "to_q"},
    {"key", "to_k"},
    {"value", "to_v"},
    {"proj_attn", "to_out.0"},
}};

// "….attentions.N.<from>.<leaf>" -> "….attentions.N.<to>.<leaf>"; other names unchanged.
std::string rename_attention(const std::string& name, bool old_to_current) {
  const size_t leaf = name.rfind('.');
  if (leaf == std::string::npos || name.find(".attentions.") == std::string::npos) return name;
  const std::string stem = name.substr(0, leaf);
  for (const auto& [old_name, current] : kAttentionRenames) {
    const std::string from = std::string(".") + (old_to_current ? old_name : current);
    const std::string to = std::string(".") + (old_to_current ? current : old_name);
    if (stem.size() > from.size() &&
        stem.compare(stem.size() - from.size(), from.size(), from) == 0) {
      return stem.substr(0, stem.size() - from.size()) + to + name.substr(leaf);
    }
  }
  return name;
}

}  // namespace

NameMapper vae_name_mapper() {
  return [](const std::string& name) { return rename_attention(name, true); };
}

NameMapper vae_legacy_file_name() {
  return [](const std::string& name) { return rename_attention(name, false); };
}

VaeEncoderImpl::VaeEncoderImpl(const VaeConfig& c) {
  const auto& channels = c.block_out_channels;
  const size_t blocks = channels.size();
  conv_in = register_module("conv_in", conv2d(c.in_channels, channels[0], 3, 1, 1));
  down_blocks = register_module("down_blocks", torch::nn::ModuleList());
  for (size_t i = 0; i < blocks; ++i) {
    const int64_t in = i == 0 ? channels[0] : channels[i - 1];
    down_blocks->push_back(
        DownEncoderBlock2D(in, channels[i], c.layers_per_block, c.norm_num_groups, i + 1 < blocks));
  }
  mid_block = register_module("mid_block", VaeMidBlock(channels.back(), c.norm_num_groups));
  conv_norm_out =
      register_module("conv_norm_out", group_norm(c.norm_num_groups, channels.back(), kEps));
  conv_out = register_module("conv_out", conv2d(channels.back(), 2 * c.latent_channels, 3, 1, 1));
}

torch::Tensor VaeEncoderImpl::forward(torch::Tensor x) {
  x = conv_in(x);
  for (const auto& block : *down_blocks) x = block->as<DownEncoderBlock2D>()->forward(x);
  x = mid_block(x);
  return conv_out(torch::silu(conv_norm_out(x)));  // [B, 2 * latent, H/f, W/f]
}

VaeDecoderImpl::VaeDecoderImpl(const VaeConfig& c) {
  const std::vector<int64_t> reversed(c.block_out_channels.rbegin(), c.block_out_channels.rend());
  const size_t blocks = reversed.size();
  conv_in = register_module("conv_in", conv2d(c.latent_channels, reversed[0], 3, 1, 1));
  mid_block = register_module("mid_block", VaeMidBlock(reversed[0], c.norm_num_groups));
  up_blocks = register_module("up_blocks", torch::nn::ModuleList());
  for (size_t i = 0; i < blocks; ++i) {
    const int64_t prev_output = i == 0 ? reversed[0] : reversed[i - 1];
    up_blocks->push_back(UpDecoderBlock2D(prev_output, reversed[i], c.layers_per_block + 1,
                                          c.norm_num_groups, i + 1 < blocks));
  }
  conv_norm_out =
      register_module("conv_norm_out", group_norm(c.norm_num_groups, reversed.back(), kEps));
  conv_out = register_module("conv_out", conv2d(reversed.back(), c.out_channels, 3, 1, 1));
}

torch::Tensor VaeDecoderImpl::forward(torch::Tensor z) {
  torch::Tensor x = mid_block(conv_in(z));
  for (const auto& block : *up_blocks) x = block->as<UpDecoderBlock2D>()->forward(x);
  return conv_out(torch::silu(conv_norm_out(x)));  // [B, out, H * f, W * f]
}

Error no_vae_encoder_error(const std::string& models_dir) {
  return Error(models_dir.empty() ? std::string("the VAE") : models_dir,
               "this model set was exported for render/stream and has no VAE encoder (its "
               "sd-vae weights hold the decoder only), which making avatar latents needs",
               "export it with `musetalk models export --for create` or use the released files "
               "(models/README.md)");
}

AutoencoderKLImpl::AutoencoderKLImpl(const VaeConfig& config, bool with_encoder,
                                     std::string models_dir)
    : config_(config), models_dir_(std::move(models_dir)) {
  const int64_t latent = config.latent_channels;
  if (with_encoder) encoder = register_module("encoder", VaeEncoder(config));
  decoder = register_module("decoder", VaeDecoder(config));
  if (with_encoder) quant_conv = register_module("quant_conv", conv2d(2 * latent, 2 * latent, 1));
  post_quant_conv = register_module("post_quant_conv", conv2d(latent, latent, 1));
}

std::pair<torch::Tensor, torch::Tensor> AutoencoderKLImpl::encode(const torch::Tensor& x) {
  if (!has_encoder()) throw no_vae_encoder_error(models_dir_);
  const torch::Tensor moments = quant_conv(encoder(x));  // [B, 2 * latent, h, w]
  auto halves = moments.chunk(2, 1);                     // 2 x [B, latent, h, w]
  return {halves[0], halves[1].clamp(-30.0, 20.0)};
}

torch::Tensor AutoencoderKLImpl::decode(const torch::Tensor& z) {
  return decoder(post_quant_conv(z));
}

}  // namespace musetalk::nn
