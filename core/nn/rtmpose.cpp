#include "nn/rtmpose.h"

#include "files/error.h"
#include "files/json_file.h"

namespace musetalk::nn {

RTMPoseConfig RTMPoseConfig::from_json(const nlohmann::ordered_json& json) {
  RTMPoseConfig c;
  if (const nlohmann::ordered_json* backbone = files::json_find(json, "backbone")) {
    c.backbone = CSPNeXtConfig::from_json(*backbone);
  }
  c.head = RTMCCHeadConfig::from_json(json);
  c.head.in_channels = c.backbone.out_channels();
  return c;
}

RTMPoseImpl::RTMPoseImpl(const RTMPoseConfig& config) : config_(config) {
  backbone = register_module("backbone", CSPNeXt(config.backbone));
  const int64_t channels = config.backbone.out_channels();
  if (channels != config.head.in_channels) {
    throw Error("RTMPose config",
                "the backbone's last output has " + std::to_string(channels) +
                    " channels but the head takes " + std::to_string(config.head.in_channels),
                "set the head's in_channels to the backbone's output channels");
  }
  head = register_module("head", RTMCCHead(config.head));
}

std::pair<torch::Tensor, torch::Tensor> RTMPoseImpl::forward(const torch::Tensor& x) {
  // RTMCCHead.forward reads feats[-1].
  return head->forward(backbone->forward(x).back());
}

}  // namespace musetalk::nn
