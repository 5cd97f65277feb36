#include "nn/rtmcc_head.h"

#include <cmath>

#include "files/error.h"
#include "files/json_file.h"

namespace musetalk::nn {
namespace {

const char* const kSource = "RTMCCHead config";

using nlohmann::ordered_json;

// A [w, h] pair.
void read_pair(const ordered_json& v, int64_t& w, int64_t& h) {
  const ordered_json& a = files::json_array(v);
  if (a.size() != 2) throw files::FormatError("expected [w, h], got " + v.dump());
  w = files::json_as<int64_t>(a[0]);
  h = files::json_as<int64_t>(a[1]);
}

}  // namespace

int64_t RTMCCHeadConfig::simcc_width() const {
  return static_cast<int64_t>(static_cast<double>(input_width) * simcc_split_ratio);
}

int64_t RTMCCHeadConfig::simcc_height() const {
  return static_cast<int64_t>(static_cast<double>(input_height) * simcc_split_ratio);
}

RTMCCHeadConfig RTMCCHeadConfig::from_json(const ordered_json& json) {
  RTMCCHeadConfig c;
  auto field = [&](const ordered_json& object, const std::string& key,
                   const std::function<void(const ordered_json&)>& read) {
    files::read_json_field(object, key, kSource, "check the config", read);
  };
  field(json, "input_size",
        [&](const ordered_json& v) { read_pair(v, c.input_width, c.input_height); });
  field(json, "in_featuremap_size",
        [&](const ordered_json& v) { read_pair(v, c.featuremap_width, c.featuremap_height); });
  field(json, "simcc_split_ratio",
        [&](const ordered_json& v) { c.simcc_split_ratio = files::json_as<double>(v); });
  field(json, "num_keypoints",
        [&](const ordered_json& v) { c.num_keypoints = files::json_as<int64_t>(v); });
  field(json, "final_layer_kernel_size",
        [&](const ordered_json& v) { c.final_layer_kernel_size = files::json_as<int64_t>(v); });
  if (const ordered_json* gau = files::json_find(json, "gau")) {
    field(*gau, "hidden_dims",
          [&](const ordered_json& v) { c.hidden_dims = files::json_as<int64_t>(v); });
    field(*gau, "s", [&](const ordered_json& v) { c.s = files::json_as<int64_t>(v); });
    field(*gau, "expansion_factor",
          [&](const ordered_json& v) { c.expansion_factor = files::json_as<double>(v); });
    field(*gau, "scale_norm_eps",
          [&](const ordered_json& v) { c.scale_norm_eps = files::json_as<double>(v); });
    field(*gau, "act_fn", [&](const ordered_json& v) {
      const std::string act = files::json_as<std::string>(v);
      if (act != "SiLU")
        throw Error(kSource, "gau.act_fn is \"" + act + "\"; only SiLU is supported");
    });
    for (const char* key : {"use_rel_bias", "pos_enc"}) {
      field(*gau, key, [&](const ordered_json& v) {
        if (files::json_as<bool>(v)) {
          throw Error(kSource, std::string("gau.") + key + " is true; only false is supported");
        }
      });
    }
  }
  return c;
}

namespace rtmcc {

ScaleNormImpl::ScaleNormImpl(int64_t dim, double eps)
    : scale_(std::pow(static_cast<double>(dim), -0.5)), eps_(eps) {
  g = register_parameter("g", torch::ones({1}));
}

torch::Tensor ScaleNormImpl::forward(const torch::Tensor& x) {
  torch::Tensor norm = x.norm(2, {-1}, /*keepdim=*/true) * scale_;
  return x / norm.clamp_min(eps_) * g;
}

ScaleImpl::ScaleImpl(int64_t dim) {
  scale = register_parameter("scale", torch::ones({dim}));
}

torch::Tensor ScaleImpl::forward(const torch::Tensor& x) {
  return x * scale;
}

GauImpl::GauImpl(int64_t dims, int64_t s, double expansion_factor, double eps)
    : e_(static_cast<int64_t>(static_cast<double>(dims) * expansion_factor)), s_(s) {
  // Registration order as RTMCCBlock.__init__: o, uv, gamma, beta, ln, res_scale.
  o = register_module("o", torch::nn::Linear(torch::nn::LinearOptions(e_, dims).bias(false)));
  uv = register_module("uv",
                       torch::nn::Linear(torch::nn::LinearOptions(dims, 2 * e_ + s).bias(false)));
  gamma = register_parameter("gamma", torch::ones({2, s}));
  beta = register_parameter("beta", torch::zeros({2, s}));
  ln = register_module("ln", ScaleNorm(dims, eps));
  res_scale = register_module("res_scale", Scale(dims));
}

torch::Tensor GauImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = torch::silu(uv(ln(x)));  // (B, K, 2e + s)
  std::vector<torch::Tensor> parts = h.split_with_sizes({e_, e_, s_}, 2);
  // (B, K, 1, s) * (1, 1, 2, s) + (2, s) -> (B, K, 2, s)
  torch::Tensor base = parts[2].unsqueeze(2) * gamma.unsqueeze(0).unsqueeze(0) + beta;
  torch::Tensor q = base.select(2, 0), k = base.select(2, 1);
  torch::Tensor qk = torch::bmm(q, k.permute({0, 2, 1}));  // (B, K, K)
  torch::Tensor kernel = torch::square(torch::relu(qk / std::sqrt(static_cast<double>(s_))));
  torch::Tensor out = o(parts[0] * torch::bmm(kernel, parts[1]));
  return res_scale(x) + out;
}

}  // namespace rtmcc

RTMCCHeadImpl::RTMCCHeadImpl(const RTMCCHeadConfig& config) : config_(config) {
  const int64_t k = config.final_layer_kernel_size;
  final_layer = register_module(
      "final_layer",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(config.in_channels, config.num_keypoints, k)
                            .stride(1)
                            .padding(k / 2)));
  const int64_t flatten = config.featuremap_width * config.featuremap_height;
  mlp = register_module(
      "mlp",
      torch::nn::Sequential(
          rtmcc::ScaleNorm(flatten, 1e-5),
          torch::nn::Linear(torch::nn::LinearOptions(flatten, config.hidden_dims).bias(false))));
  gau = register_module("gau", rtmcc::Gau(config.hidden_dims, config.s, config.expansion_factor,
                                          config.scale_norm_eps));
  cls_x = register_module(
      "cls_x", torch::nn::Linear(
                   torch::nn::LinearOptions(config.hidden_dims, config.simcc_width()).bias(false)));
  cls_y = register_module(
      "cls_y",
      torch::nn::Linear(
          torch::nn::LinearOptions(config.hidden_dims, config.simcc_height()).bias(false)));
}

std::pair<torch::Tensor, torch::Tensor> RTMCCHeadImpl::forward(const torch::Tensor& feats) {
  torch::Tensor h = final_layer(feats).flatten(2);  // (B, K, fh * fw)
  h = gau(mlp->forward(h));                         // (B, K, hidden)
  return {cls_x(h), cls_y(h)};
}

}  // namespace musetalk::nn
