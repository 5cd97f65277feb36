#include "nn/cspnext.h"

#include <algorithm>
#include <cmath>

#include "files/error.h"
#include "files/json_file.h"

namespace musetalk::nn {
namespace {

const char* const kSource = "CSPNeXt config";

using nlohmann::ordered_json;

// CSPNeXt.arch_settings: in_channels, out_channels, num_blocks, add_identity, use_spp.
struct StageSetting {
  int64_t in, out, blocks;
  bool add_identity, use_spp;
};

std::vector<StageSetting> arch_settings(const std::string& arch) {
  if (arch == "P5") {
    return {{64, 128, 3, true, false},
            {128, 256, 6, true, false},
            {256, 512, 6, true, false},
            {512, 1024, 3, false, true}};
  }
  if (arch == "P6") {
    return {{64, 128, 3, true, false},
            {128, 256, 6, true, false},
            {256, 512, 6, true, false},
            {512, 768, 3, true, false},
            {768, 1024, 3, false, true}};
  }
  throw Error(kSource, "arch is \"" + arch + "\"; only P5 and P6 exist", "use arch P5 or P6");
}

std::vector<int64_t> int_list(const ordered_json& json) {
  std::vector<int64_t> out;
  for (const ordered_json& item : files::json_array(json)) {
    out.push_back(files::json_as<int64_t>(item));
  }
  return out;
}

void require_string(const ordered_json& v, const char* key, const std::string& expected) {
  const std::string got = files::json_as<std::string>(v);
  if (got != expected) {
    throw Error(kSource,
                std::string(key) + " is \"" + got + "\"; only " + expected + " is supported");
  }
}

// int(arch_setting[0][0] * widen_factor // 2): the stem's first two convs.
int64_t stem_mid_channels(const std::vector<StageSetting>& stages, double widen) {
  return static_cast<int64_t>(std::floor(static_cast<double>(stages[0].in) * widen / 2));
}

}  // namespace

int64_t CSPNeXtConfig::out_channels(int64_t layer) const {
  const std::vector<StageSetting> stages = arch_settings(arch);
  if (layer < 0) layer = *std::max_element(out_indices.begin(), out_indices.end());
  const int64_t base = layer == 0 ? stages[0].in : stages.at(layer - 1).out;
  return static_cast<int64_t>(static_cast<double>(base) * widen_factor);
}

CSPNeXtConfig CSPNeXtConfig::from_json(const ordered_json& json) {
  CSPNeXtConfig c;
  auto field = [&](const char* key, const std::function<void(const ordered_json&)>& read) {
    files::read_json_field(json, key, kSource, "check the config", read);
  };
  field("type", [&](const ordered_json& v) { require_string(v, "type", "CSPNeXt"); });
  field("arch", [&](const ordered_json& v) { c.arch = files::json_as<std::string>(v); });
  field("deepen_factor",
        [&](const ordered_json& v) { c.deepen_factor = files::json_as<double>(v); });
  field("widen_factor", [&](const ordered_json& v) { c.widen_factor = files::json_as<double>(v); });
  field("expand_ratio", [&](const ordered_json& v) { c.expand_ratio = files::json_as<double>(v); });
  field("out_indices", [&](const ordered_json& v) { c.out_indices = int_list(v); });
  field("channel_attention",
        [&](const ordered_json& v) { c.channel_attention = files::json_as<bool>(v); });
  field("channel_attention_act",
        [&](const ordered_json& v) { require_string(v, "channel_attention_act", "Hardsigmoid"); });
  field("spp_kernel_sizes", [&](const ordered_json& v) { c.spp_kernel_sizes = int_list(v); });
  field("csp_block_dw_kernel",
        [&](const ordered_json& v) { c.block_kernel_size = files::json_as<int64_t>(v); });
  field("act", [&](const ordered_json& v) { require_string(v, "act", "SiLU"); });
  const int64_t layers = static_cast<int64_t>(arch_settings(c.arch).size()) + 1;
  if (c.out_indices.empty()) throw Error(kSource, "out_indices is empty");
  for (int64_t i : c.out_indices) {
    if (i < 0 || i >= layers) {
      throw Error(kSource, "out index " + std::to_string(i) + " is outside 0.." +
                               std::to_string(layers - 1) + " (stem and stages of " + c.arch + ")");
    }
  }
  return c;
}

namespace cspnext {

ConvModuleImpl::ConvModuleImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                               int64_t padding, int64_t groups, double bn_eps) {
  conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel)
                                                       .stride(stride)
                                                       .padding(padding)
                                                       .groups(groups)
                                                       .bias(false)));
  bn =
      register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out).eps(bn_eps)));
}

torch::Tensor ConvModuleImpl::forward(const torch::Tensor& x) {
  return torch::silu(bn(conv(x)));
}

DepthwiseSeparableConvImpl::DepthwiseSeparableConvImpl(int64_t in, int64_t out, int64_t kernel,
                                                       double bn_eps) {
  depthwise_conv =
      register_module("depthwise_conv", ConvModule(in, in, kernel, 1, kernel / 2, in, bn_eps));
  pointwise_conv = register_module("pointwise_conv", ConvModule(in, out, 1, 1, 0, 1, bn_eps));
}

torch::Tensor DepthwiseSeparableConvImpl::forward(const torch::Tensor& x) {
  return pointwise_conv(depthwise_conv(x));
}

CSPNeXtBlockImpl::CSPNeXtBlockImpl(int64_t channels, bool add_identity, int64_t kernel,
                                   double bn_eps)
    : add_identity_(add_identity) {
  conv1 = register_module("conv1", ConvModule(channels, channels, 3, 1, 1, 1, bn_eps));
  conv2 = register_module("conv2", DepthwiseSeparableConv(channels, channels, kernel, bn_eps));
}

torch::Tensor CSPNeXtBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = conv2(conv1(x));
  return add_identity_ ? out + x : out;
}

ChannelAttentionImpl::ChannelAttentionImpl(int64_t channels) {
  fc = register_module("fc", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, channels, 1)));
}

torch::Tensor ChannelAttentionImpl::forward(const torch::Tensor& x) {
  // nn.AdaptiveAvgPool2d(1) == the mean over H and W.
  return x * torch::hardsigmoid(fc(x.mean({2, 3}, /*keepdim=*/true)));
}

SPPBottleneckImpl::SPPBottleneckImpl(int64_t in, int64_t out,
                                     const std::vector<int64_t>& kernel_sizes, double bn_eps)
    : kernel_sizes_(kernel_sizes) {
  const int64_t mid = in / 2;
  conv1 = register_module("conv1", ConvModule(in, mid, 1, 1, 0, 1, bn_eps));
  conv2 = register_module("conv2", ConvModule(mid * static_cast<int64_t>(kernel_sizes.size() + 1),
                                              out, 1, 1, 0, 1, bn_eps));
}

torch::Tensor SPPBottleneckImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = conv1(x);
  std::vector<torch::Tensor> parts = {h};
  for (int64_t k : kernel_sizes_)
    parts.push_back(torch::max_pool2d(h, {k, k}, {1, 1}, {k / 2, k / 2}));
  return conv2(torch::cat(parts, 1));
}

CSPLayerImpl::CSPLayerImpl(int64_t in, int64_t out, double expand_ratio, int64_t num_blocks,
                           bool add_identity, bool channel_attention, int64_t block_kernel,
                           double bn_eps) {
  const auto mid = static_cast<int64_t>(static_cast<double>(out) * expand_ratio);
  main_conv = register_module("main_conv", ConvModule(in, mid, 1, 1, 0, 1, bn_eps));
  short_conv = register_module("short_conv", ConvModule(in, mid, 1, 1, 0, 1, bn_eps));
  final_conv = register_module("final_conv", ConvModule(2 * mid, out, 1, 1, 0, 1, bn_eps));
  blocks = register_module("blocks", torch::nn::Sequential());
  for (int64_t i = 0; i < num_blocks; ++i) {
    blocks->push_back(CSPNeXtBlock(mid, add_identity, block_kernel, bn_eps));
  }
  if (channel_attention) attention = register_module("attention", ChannelAttention(2 * mid));
}

torch::Tensor CSPLayerImpl::forward(const torch::Tensor& x) {
  torch::Tensor x_short = short_conv(x);
  torch::Tensor x_main = blocks->forward(main_conv(x));
  torch::Tensor cat = torch::cat({x_main, x_short}, 1);
  if (attention) cat = attention(cat);
  return final_conv(cat);
}

}  // namespace cspnext

CSPNeXtImpl::CSPNeXtImpl(const CSPNeXtConfig& config) : config_(config) {
  using cspnext::ConvModule;
  const std::vector<StageSetting> stages = arch_settings(config.arch);
  const double widen = config.widen_factor;
  const double eps = config.bn_eps;
  const int64_t stem_mid = stem_mid_channels(stages, widen);
  const int64_t stem_out = config.out_channels(0);
  torch::nn::Sequential stem(ConvModule(3, stem_mid, 3, 2, 1, 1, eps),
                             ConvModule(stem_mid, stem_mid, 3, 1, 1, 1, eps),
                             ConvModule(stem_mid, stem_out, 3, 1, 1, 1, eps));
  layers_.push_back(register_module("stem", stem));
  for (size_t i = 0; i < stages.size(); ++i) {
    const StageSetting& s = stages[i];
    const auto in = static_cast<int64_t>(static_cast<double>(s.in) * widen);
    const auto out = config.out_channels(static_cast<int64_t>(i) + 1);
    // max(round(num_blocks * deepen_factor), 1), Python's round: half to even.
    const auto blocks = std::max<int64_t>(
        static_cast<int64_t>(std::nearbyint(static_cast<double>(s.blocks) * config.deepen_factor)),
        1);
    torch::nn::Sequential stage;
    stage->push_back(ConvModule(in, out, 3, 2, 1, 1, eps));
    if (s.use_spp) stage->push_back(cspnext::SPPBottleneck(out, out, config.spp_kernel_sizes, eps));
    stage->push_back(cspnext::CSPLayer(out, out, config.expand_ratio, blocks, s.add_identity,
                                       config.channel_attention, config.block_kernel_size, eps));
    layers_.push_back(register_module("stage" + std::to_string(i + 1), stage));
  }
}

std::vector<torch::Tensor> CSPNeXtImpl::forward(torch::Tensor x) {
  const auto& wanted = config_.out_indices;
  const int64_t last = *std::max_element(wanted.begin(), wanted.end());
  std::vector<torch::Tensor> outs;
  for (int64_t i = 0; i <= last; ++i) {
    x = layers_[i]->forward(x);
    if (std::find(wanted.begin(), wanted.end(), i) != wanted.end()) outs.push_back(x);
  }
  return outs;
}

}  // namespace musetalk::nn
