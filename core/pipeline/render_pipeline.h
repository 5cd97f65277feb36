#pragma once
// Offline render of one audio clip with one avatar (MuseTalk scripts/realtime_inference.py
// Avatar.inference) in three stages overlapping through bounded queues: generation (audio
// features, then UNet + VAE per batch) on one thread, compositing (resize + paste per frame, on
// the device) on another, and the sink on the caller's thread, in frame order. The audio is
// pulled from its source as the batches need it and its Whisper features are made 30 s segment
// by segment (audio/segment_features.h), so memory does not grow with the clip's length.

#include <torch/torch.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "avatar/avatar.h"
#include "model/model_set.h"
#include "pipeline/audio_source.h"
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
  // features_s: reading the audio and encoding it (part of the generation thread's time);
  // generation_s: the UNet and VAE only.
  double features_s = 0, generation_s = 0, compositing_s = 0, sink_s = 0, total_s = 0;
};

// done: frames written; total: the clip's frames, from audio.expected_samples() until the
// audio's end has been read and exact from then on, or -1 while unknown (no expected length, or
// an estimate that done has passed).
using RenderProgress = std::function<void(int64_t done, int64_t total)>;

// progress and the sink run on the caller's thread; audio is read on the generation thread. The
// clip gives floor(samples / 16000 * fps) frames, frame i using cycle index i mod 2N (every clip
// starts at 0), the same frames as with the whole clip's features (audio_features.h). Stops
// early, without error, when *cancel turns true. An exception in any stage (the sink and the
// audio source included) stops every stage and is rethrown here after all threads have been
// joined.
RenderStats render(ModelSet& models, const avatar::Avatar& avatar, AvatarImages& images,
                   AudioSource& audio, const RenderSettings& settings, FrameSink& sink,
                   const RenderProgress& progress, const std::atomic<bool>* cancel = nullptr);

// The same with the clip's samples in memory (16 kHz mono float).
RenderStats render(ModelSet& models, const avatar::Avatar& avatar, AvatarImages& images,
                   const std::vector<float>& samples16k, const RenderSettings& settings,
                   FrameSink& sink, const RenderProgress& progress,
                   const std::atomic<bool>* cancel = nullptr);

}  // namespace musetalk::pipeline
