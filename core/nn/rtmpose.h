#pragma once
// RTMPose as DWPose runs it (mmpose 1.1.0 mmpose/models/pose_estimators/topdown.py
// TopdownPoseEstimator without neck): CSPNeXt backbone, RTMCCHead on its last output. Module
// names are the checkpoint's (dw-ll_ucoco_384.pth state_dict keys): backbone.*, head.*.
// Pre-processing, flip test and decoding live in face/pose_landmarks.h.

#include <torch/torch.h>

#include <utility>

#include <nlohmann/json_fwd.hpp>

#include "nn/cspnext.h"
#include "nn/rtmcc_head.h"

namespace musetalk::nn {

// Defaults: DWPose's RTMPose-l whole-body 384x288.
struct RTMPoseConfig {
  CSPNeXtConfig backbone;
  RTMCCHeadConfig head;

  // From the fixture-manifest layout: the head's fields at top level, the backbone's under
  // "backbone" (see CSPNeXtConfig::from_json, RTMCCHeadConfig::from_json). Throws Error as they
  // do, and when the backbone's last output is not the head's in_channels.
  static RTMPoseConfig from_json(const nlohmann::ordered_json& json);
};

class RTMPoseImpl : public torch::nn::Module {
 public:
  explicit RTMPoseImpl(const RTMPoseConfig& config = {});

  // x: (B, 3, input_h, input_w) normalised RGB in the module's dtype -> (simcc_x (B, K, 2 *
  // input_w), simcc_y (B, K, 2 * input_h)) for split ratio 2: DWPose (B, 133, 576), (B, 133, 768).
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x);

  const RTMPoseConfig& config() const { return config_; }
  CSPNeXt backbone{nullptr};
  RTMCCHead head{nullptr};

 private:
  RTMPoseConfig config_;
};
TORCH_MODULE(RTMPose);

}  // namespace musetalk::nn
