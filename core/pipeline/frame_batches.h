#pragma once
// MuseTalk musetalk/utils/utils.py datagen: output frame i pairs audio window i with avatar
// latent i mod 2N; batches of B consecutive frames, the last one possibly smaller.

#include <torch/torch.h>

#include <cstdint>
#include <functional>

namespace musetalk::pipeline {

struct FrameBatch {
  int64_t first = 0;      // index of the batch's first output frame
  torch::Tensor audio;    // (b, 50, 384)
  torch::Tensor latents;  // (b, 8, 32, 32)
  int64_t size() const { return audio.size(0); }
};

// The audio windows of frames [first, first + count): (count, 50, 384).
using WindowSource = std::function<torch::Tensor(int64_t first, int64_t count)>;

class FrameBatches {
 public:
  // windows: (T, 50, 384) per-frame audio windows; latents: (2N, 8, 32, 32) cycle latents.
  FrameBatches(torch::Tensor windows, torch::Tensor latents, int64_t batch_size);
  // The same with windows made batch by batch, so a long clip never holds them all.
  FrameBatches(int64_t frames, WindowSource windows, torch::Tensor latents, int64_t batch_size);

  int64_t frames() const { return frames_; }
  int64_t count() const { return (frames() + batch_ - 1) / batch_; }
  FrameBatch operator[](int64_t k) const;

 private:
  int64_t frames_;
  WindowSource windows_;
  torch::Tensor latents_;
  int64_t batch_;
};

}  // namespace musetalk::pipeline
