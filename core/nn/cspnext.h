#pragma once
// The CSPNeXt backbone of RTMPose / DWPose (mmdet/models/backbones/cspnext.py CSPNeXt, as mmpose
// 1.1.0 builds it with _scope_='mmdet'; mmpose keeps a copy in mmpose/models/backbones/
// cspnext.py): a 3-conv stem, then per stage a 3x3 stride-2 ConvModule, an SPPBottleneck on the
// last P5/P6 stage, and a CSPLayer of CSPNeXtBlocks with channel attention. BatchNorm runs in
// eval mode (SyncBN reverted to BatchNorm2d). Module names follow the checkpoint without its
// "backbone." prefix: stem.{0,1,2}.{conv,bn}, stageK.0.{conv,bn}, stage4.1.conv{1,2} (SPP),
// stageK.{1|2}.{main_conv,short_conv,final_conv,blocks.J.*,attention.fc}.

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace musetalk::nn {

// CSPNeXt's constructor arguments. The defaults are DWPose's RTMPose-l (rtmpose-l_8xb32-270e_
// coco-wholebody-384x288.py: P5, deepen 1.0, widen 1.0, expand 0.5, out_indices (4,), channel
// attention, norm SyncBN -> eps 1e-5, SiLU).
struct CSPNeXtConfig {
  std::string arch = "P5";  // "P5" (4 stages) or "P6" (5 stages)
  double deepen_factor = 1.0;
  double widen_factor = 1.0;
  double expand_ratio = 0.5;
  std::vector<int64_t> out_indices = {4};  // 0 = stem, k = stage k
  bool channel_attention = true;
  std::vector<int64_t> spp_kernel_sizes = {5, 9, 13};
  int64_t block_kernel_size = 5;  // CSPNeXtBlock's depthwise kernel
  double bn_eps = 1e-5;

  // Channels of layer `layer`'s output (0 = stem, k = stage k); of the last out index by
  // default, the feature map a head reads (feats[-1]). DWPose-l: 1024.
  int64_t out_channels(int64_t layer = -1) const;

  // From a JSON object with the constructor's argument names (and "csp_block_dw_kernel" for
  // block_kernel_size); absent fields keep their defaults. Throws Error naming the key for a
  // value of the wrong type, a "type" other than CSPNeXt, an arch other than P5/P6, an "act"
  // other than SiLU, a "channel_attention_act" other than Hardsigmoid, or an out index outside
  // the stages.
  static CSPNeXtConfig from_json(const nlohmann::ordered_json& json);
};

namespace cspnext {

// mmcv ConvModule(conv_cfg None, norm BN, act SiLU): conv (no bias, since a norm follows) ->
// BatchNorm2d -> SiLU. Names conv.weight, bn.*.
class ConvModuleImpl : public torch::nn::Module {
 public:
  ConvModuleImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding,
                 int64_t groups, double bn_eps);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ConvModule);

// mmcv DepthwiseSeparableConvModule: depthwise_conv (kxk, groups = in) then pointwise_conv
// (1x1), each a ConvModule with BN and SiLU.
class DepthwiseSeparableConvImpl : public torch::nn::Module {
 public:
  DepthwiseSeparableConvImpl(int64_t in, int64_t out, int64_t kernel, double bn_eps);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  ConvModule depthwise_conv{nullptr}, pointwise_conv{nullptr};
};
TORCH_MODULE(DepthwiseSeparableConv);

// mmdet/models/layers/csp_layer.py CSPNeXtBlock (expansion 1.0, as CSPLayer builds it): conv1
// 3x3 ConvModule, conv2 depthwise-separable kxk; plus the input when add_identity.
class CSPNeXtBlockImpl : public torch::nn::Module {
 public:
  CSPNeXtBlockImpl(int64_t channels, bool add_identity, int64_t kernel, double bn_eps);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  bool add_identity_;
  ConvModule conv1{nullptr};
  DepthwiseSeparableConv conv2{nullptr};
};
TORCH_MODULE(CSPNeXtBlock);

// csp_layer.py ChannelAttention: x * hardsigmoid(fc(global average of x)), fc a 1x1 conv with
// bias.
class ChannelAttentionImpl : public torch::nn::Module {
 public:
  explicit ChannelAttentionImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d fc{nullptr};
};
TORCH_MODULE(ChannelAttention);

// mmdet/models/backbones/csp_darknet.py SPPBottleneck: conv1 1x1 in -> in/2, max-pools of each
// kernel size (stride 1, padding k/2) concatenated after the input, conv2 1x1 -> out.
class SPPBottleneckImpl : public torch::nn::Module {
 public:
  SPPBottleneckImpl(int64_t in, int64_t out, const std::vector<int64_t>& kernel_sizes,
                    double bn_eps);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  std::vector<int64_t> kernel_sizes_;
  ConvModule conv1{nullptr}, conv2{nullptr};
};
TORCH_MODULE(SPPBottleneck);

// csp_layer.py CSPLayer(use_cspnext_block=True): main_conv 1x1 -> mid -> blocks; short_conv 1x1
// -> mid; concat [main, short]; ChannelAttention (when on); final_conv 1x1 -> out.
// mid = int(out * expand_ratio).
class CSPLayerImpl : public torch::nn::Module {
 public:
  CSPLayerImpl(int64_t in, int64_t out, double expand_ratio, int64_t num_blocks, bool add_identity,
               bool channel_attention, int64_t block_kernel, double bn_eps);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  ConvModule main_conv{nullptr}, short_conv{nullptr}, final_conv{nullptr};
  torch::nn::Sequential blocks{nullptr};
  ChannelAttention attention{nullptr};
};
TORCH_MODULE(CSPLayer);

}  // namespace cspnext

// CSPNeXt.forward: (B, 3, H, W) -> the outputs of the layers named by out_indices (0 = stem,
// k = stage k), in layer order. DWPose-l: one (B, 1024, H/32, W/32) tensor. Only the layers up
// to the last out index run.
class CSPNeXtImpl : public torch::nn::Module {
 public:
  explicit CSPNeXtImpl(const CSPNeXtConfig& config = {});
  std::vector<torch::Tensor> forward(torch::Tensor x);

  const CSPNeXtConfig& config() const { return config_; }

 private:
  CSPNeXtConfig config_;
  std::vector<torch::nn::Sequential> layers_;  // stem, stage1, ...
};
TORCH_MODULE(CSPNeXt);

}  // namespace musetalk::nn
