#pragma once
// Offline render of one audio clip with one avatar (MuseTalk scripts/realtime_inference.py
// Avatar.inference): audio features once, then three stages overlapping through bounded queues:
// generation (UNet + VAE per batch) on one thread, compositing (resize + paste per frame, on the
// device) on another, and the sink on the caller's thread, in frame order. Memory stays bounded
// apart from the clip's audio features.

#include <torch/torch.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "avatar/avatar.h"
#include "model/model_set.h"
#include "pipeline/frame_sink.h"

namespace musetalk::pipeline {

struct RenderSettings {
  int fps = 25;
  int batch = 8;           // frames per UNet/VAE call (MuseTalk musetalk/utils/utils.py datagen)
  size_t queue_depth = 4;  // batches held between two stages
};

// The avatar's cycle images (docs/avatar-format.md), j in [0, 2N). Called from render()'s
// compositing thread; the tensors may live on any device.
class AvatarImages {
 public:
  virtual ~AvatarImages() = default;
  virtual torch::Tensor frame(int j) = 0;  // (H, W, 3) uint8 BGR
  virtual torch::Tensor mask(int j) = 0;   // (2s, 2s) uint8, the crop box's size
};

struct RenderStats {
  int64_t frames = 0;  // frames written to the sink
  double features_s = 0, generation_s = 0, compositing_s = 0, sink_s = 0, total_s = 0;
};

using RenderProgress = std::function<void(int64_t done, int64_t total)>;

// progress and the sink run on the caller's thread. samples16k: mono float audio at 16 kHz; the
// clip gives floor(duration * fps) frames, frame i using cycle index i mod 2N (every clip starts at
// 0). Stops early, without error, when *cancel turns true. An exception in any stage (the sink
// included) stops every stage and is rethrown here after all threads have been joined.
RenderStats render(ModelSet& models, const avatar::Avatar& avatar, AvatarImages& images,
                   const std::vector<float>& samples16k, const RenderSettings& settings,
                   FrameSink& sink, const RenderProgress& progress,
                   const std::atomic<bool>* cancel = nullptr);

}  // namespace musetalk::pipeline
