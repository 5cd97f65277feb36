#pragma once
// RTMPose's SimCC head (mmpose 1.1.0 mmpose/models/heads/coord_cls_heads/rtmcc_head.py
// RTMCCHead.forward): a large-kernel conv to one map per keypoint, flattened, ScaleNorm + Linear
// to hidden tokens, one Gated Attention Unit over the keypoint tokens
// (mmpose/models/utils/rtmcc_block.py RTMCCBlock, self-attention), and two Linear classifiers
// giving per-keypoint 1-D distributions over input_w * split_ratio x-bins and input_h *
// split_ratio y-bins. Module names follow the checkpoint without its "head." prefix:
// final_layer, mlp.0.g, mlp.1, gau.{uv,o,gamma,beta,ln.g,res_scale.scale}, cls_x, cls_y.

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>

#include <nlohmann/json_fwd.hpp>

namespace musetalk::nn {

// RTMCCHead's arguments (with gau_cfg's). Defaults: DWPose's RTMPose-l whole-body 384x288
// (rtmpose-l_8xb32-270e_coco-wholebody-384x288.py).
struct RTMCCHeadConfig {
  int64_t in_channels = 1024;
  int64_t num_keypoints = 133;  // out_channels
  int64_t input_width = 288;    // input_size (w, h)
  int64_t input_height = 384;
  int64_t featuremap_width = 9;  // in_featuremap_size (w, h)
  int64_t featuremap_height = 12;
  double simcc_split_ratio = 2.0;
  int64_t final_layer_kernel_size = 7;
  int64_t hidden_dims = 256;  // gau_cfg
  int64_t s = 128;
  double expansion_factor = 2.0;
  double scale_norm_eps = 1e-5;

  int64_t simcc_width() const;   // int(input_w * split_ratio): 576
  int64_t simcc_height() const;  // int(input_h * split_ratio): 768

  // From the manifest-style JSON: input_size [w, h], in_featuremap_size [w, h],
  // simcc_split_ratio, num_keypoints, final_layer_kernel_size, gau {hidden_dims, s,
  // expansion_factor, act_fn, use_rel_bias, pos_enc, scale_norm_eps}; absent fields keep their
  // defaults. in_channels is the backbone's and is not read. Throws Error naming the key for a
  // value of the wrong type, act_fn other than SiLU, or use_rel_bias / pos_enc set (DWPose uses
  // neither; they are not implemented).
  static RTMCCHeadConfig from_json(const nlohmann::ordered_json& json);
};

namespace rtmcc {

// rtmcc_block.py ScaleNorm: x / max(||x||_2 over the last dim * dim^-0.5, eps) * g (g: one
// learned scalar).
class ScaleNormImpl : public torch::nn::Module {
 public:
  ScaleNormImpl(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  double scale_, eps_;
  torch::Tensor g;
};
TORCH_MODULE(ScaleNorm);

// rtmcc_block.py Scale: x * scale (a learned vector over the last dim).
class ScaleImpl : public torch::nn::Module {
 public:
  explicit ScaleImpl(int64_t dim);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::Tensor scale;
};
TORCH_MODULE(Scale);

// rtmcc_block.py RTMCCBlock (attn_type self-attn, SiLU, no bias, no relative-position bias, no
// rotary encoding, in dims == out dims so the shortcut is on): x: (B, K, dims) ->
// res_scale(x) + o(u * (relu(q k^T / sqrt(s))^2 v)), where silu(uv(ln(x))) splits into u, v
// (e = dims * expansion each) and base (s), and q, k = base * gamma[0/1] + beta[0/1].
class GauImpl : public torch::nn::Module {
 public:
  GauImpl(int64_t dims, int64_t s, double expansion_factor, double eps);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  int64_t e_, s_;
  ScaleNorm ln{nullptr};
  torch::nn::Linear uv{nullptr}, o{nullptr};
  torch::Tensor gamma, beta;
  Scale res_scale{nullptr};
};
TORCH_MODULE(Gau);

}  // namespace rtmcc

// RTMCCHead.forward: the backbone's last feature map (B, in_channels, fh, fw) -> (simcc_x
// (B, K, simcc_width), simcc_y (B, K, simcc_height)), in the input's dtype.
class RTMCCHeadImpl : public torch::nn::Module {
 public:
  explicit RTMCCHeadImpl(const RTMCCHeadConfig& config = {});
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& feats);

  const RTMCCHeadConfig& config() const { return config_; }

 private:
  RTMCCHeadConfig config_;
  torch::nn::Conv2d final_layer{nullptr};
  torch::nn::Sequential mlp{nullptr};
  rtmcc::Gau gau{nullptr};
  torch::nn::Linear cls_x{nullptr}, cls_y{nullptr};
};
TORCH_MODULE(RTMCCHead);

}  // namespace musetalk::nn
