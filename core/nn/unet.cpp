#include "nn/unet.h"

#include "files/error.h"
#include "files/tensor_data.h"

namespace musetalk::nn {

UNet2DConditionModelImpl::UNet2DConditionModelImpl(const UNetConfig& config) : config_(config) {
  const UNetConfig& c = config_;
  c.validate();
  const size_t n = c.num_blocks();
  const std::vector<int64_t>& ch = c.block_out_channels;
  const int64_t temb = c.time_embed_dim();

  conv_in = register_module(
      "conv_in", conv2d(c.in_channels, ch[0], c.conv_in_kernel, 1, (c.conv_in_kernel - 1) / 2));
  // diffusers/models/embeddings.py TimestepEmbedding: linear_1, SiLU, linear_2.
  auto time_embedding = std::make_shared<torch::nn::Module>("TimestepEmbedding");
  linear_1 = time_embedding->register_module("linear_1", torch::nn::Linear(ch[0], temb));
  linear_2 = time_embedding->register_module("linear_2", torch::nn::Linear(temb, temb));
  register_module("time_embedding", time_embedding);

  UNetBlockOptions base;
  base.temb_channels = temb;
  base.cross_dim = c.cross_attention_dim;
  base.groups = c.norm_num_groups;
  base.eps = c.norm_eps;
  base.downsample_padding = c.downsample_padding;

  torch::nn::ModuleList down_list;
  for (size_t i = 0; i < n; ++i) {
    UNetBlockOptions o = base;
    o.in_channels = i == 0 ? ch[0] : ch[i - 1];
    o.out_channels = ch[i];
    o.layers = c.layers_per_block[i];
    o.heads = c.down_block_types[i] == "CrossAttnDownBlock2D" ? c.num_attention_heads[i] : 0;
    o.transformer_layers = c.transformer_layers_per_block[i];
    o.resample = i + 1 < n;
    down_blocks_.push_back(DownBlock2D(o));
    down_list->push_back(down_blocks_.back());
  }
  register_module("down_blocks", down_list);

  UNetBlockOptions mid = base;
  mid.in_channels = mid.out_channels = ch[n - 1];
  mid.heads = c.num_attention_heads[n - 1];
  mid.transformer_layers = c.transformer_layers_per_block[n - 1];
  mid_block = register_module("mid_block", UNetMidBlock2DCrossAttn(mid, c.mid_block_scale_factor));

  // Up block i mirrors down block n-1-i: channels, heads and layer counts are the reversed lists.
  torch::nn::ModuleList up_list;
  int64_t out_channels = ch[n - 1];
  for (size_t i = 0; i < n; ++i) {
    const size_t r = n - 1 - i;
    UNetBlockOptions o = base;
    o.prev_output_channels = out_channels;
    out_channels = ch[r];
    o.out_channels = out_channels;
    o.in_channels = ch[r == 0 ? 0 : r - 1];
    o.layers = c.layers_per_block[r] + 1;
    o.heads = c.up_block_types[i] == "CrossAttnUpBlock2D" ? c.num_attention_heads[r] : 0;
    o.transformer_layers = c.transformer_layers_per_block[r];
    o.resample = i + 1 < n;
    up_blocks_.push_back(UpBlock2D(o));
    up_list->push_back(up_blocks_.back());
  }
  register_module("up_blocks", up_list);

  conv_norm_out =
      register_module("conv_norm_out", group_norm(c.norm_num_groups, ch[0], c.norm_eps));
  conv_out = register_module(
      "conv_out", conv2d(ch[0], c.out_channels, c.conv_out_kernel, 1, (c.conv_out_kernel - 1) / 2));
}

torch::Tensor UNet2DConditionModelImpl::timestep_features() const {
  // get_timestep_embedding: [sin(t f_k), cos(t f_k)] over half = dim / 2 frequencies, swapped to
  // [cos, sin] by flip_sin_to_cos, zero-padded to an odd dim. At t = 0 sin is 0 and cos is 1
  // for every frequency, so freq_shift and the frequencies drop out.
  const int64_t dim = config_.block_out_channels[0], half = dim / 2;
  torch::Tensor emb = torch::zeros({1, dim}, linear_1->weight.options());  // (1, dim)
  const int64_t cos_start = config_.flip_sin_to_cos ? 0 : half;
  emb.narrow(1, cos_start, half).fill_(1.0);
  return emb;
}

void UNet2DConditionModelImpl::prepare() {
  torch::NoGradGuard no_grad;
  torch::Tensor temb = linear_2(torch::silu(linear_1(timestep_features())));  // (1, temb_dim)
  for (const auto& m : modules(/*include_self=*/false)) {
    if (auto* resnet = m->as<ResnetBlock2DImpl>()) resnet->set_time_embedding(temb);
  }
  prepared_ = true;
}

torch::Tensor UNet2DConditionModelImpl::forward(const torch::Tensor& sample,
                                                const torch::Tensor& encoder_hidden_states) {
  if (!prepared_) {
    throw Error("UNet", "forward() before prepare()",
                "call prepare() after loading the weights and after every .to()");
  }
  const int64_t factor = int64_t{1} << (config_.num_blocks() - 1);
  if (sample.dim() != 4 || sample.size(1) != config_.in_channels || sample.size(2) % factor != 0 ||
      sample.size(3) % factor != 0) {
    throw Error("UNet", "sample shape " + files::shape_string(sample.sizes().vec()) +
                            ": expected (B, " + std::to_string(config_.in_channels) +
                            ", H, W) with H and W multiples of " + std::to_string(factor));
  }
  torch::Tensor x = config_.center_input_sample ? 2 * sample - 1.0 : sample;
  x = conv_in(x);
  std::vector<torch::Tensor> skips{x};  // popped from the back by the up blocks
  for (auto& block : down_blocks_) x = block(x, encoder_hidden_states, skips);
  x = mid_block(x, encoder_hidden_states);
  for (auto& block : up_blocks_) x = block(x, encoder_hidden_states, skips);
  return conv_out(torch::silu(conv_norm_out(x)));
}

}  // namespace musetalk::nn
