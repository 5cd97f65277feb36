#pragma once
// Spec 5.1 (datagen): output frame i pairs audio window i with avatar latent i mod 2N; batches
// of B consecutive frames, the last one possibly smaller.

#include <torch/torch.h>

#include <cstdint>

namespace musetalk::pipeline {

struct FrameBatch {
  int64_t first = 0;      // index of the batch's first output frame
  torch::Tensor audio;    // (b, 50, 384)
  torch::Tensor latents;  // (b, 8, 32, 32)
  int64_t size() const { return audio.size(0); }
};

class FrameBatches {
 public:
  // windows: (T, 50, 384) per-frame audio windows; latents: (2N, 8, 32, 32) cycle latents.
  FrameBatches(torch::Tensor windows, torch::Tensor latents, int64_t batch_size);

  int64_t frames() const { return windows_.size(0); }
  int64_t count() const { return (frames() + batch_ - 1) / batch_; }
  FrameBatch operator[](int64_t k) const;

 private:
  torch::Tensor windows_, latents_;
  int64_t batch_;
};

}  // namespace musetalk::pipeline
