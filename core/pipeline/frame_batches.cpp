#include "pipeline/frame_batches.h"

#include <algorithm>

namespace musetalk::pipeline {

FrameBatches::FrameBatches(torch::Tensor windows, torch::Tensor latents, int64_t batch_size)
    : FrameBatches(
          windows.dim() == 3 ? windows.size(0) : -1,
          [windows](int64_t first, int64_t count) { return windows.narrow(0, first, count); },
          std::move(latents), batch_size) {
  TORCH_CHECK(windows.dim() == 3, "FrameBatches: windows must be (T, tokens, d), got ",
              windows.sizes());
}

FrameBatches::FrameBatches(int64_t frames, WindowSource windows, torch::Tensor latents,
                           int64_t batch_size)
    : frames_(frames),
      windows_(std::move(windows)),
      latents_(std::move(latents)),
      batch_(batch_size) {
  TORCH_CHECK(batch_ > 0, "FrameBatches: batch size must be positive, got ", batch_);
  TORCH_CHECK(latents_.dim() == 4 && latents_.size(0) > 0,
              "FrameBatches: latents must be (2N, 8, 32, 32) with 2N > 0, got ", latents_.sizes());
}

FrameBatch FrameBatches::operator[](int64_t k) const {
  TORCH_CHECK(k >= 0 && k < count(), "FrameBatches: batch ", k, " of ", count());
  FrameBatch b;
  b.first = k * batch_;
  const int64_t n = std::min(batch_, frames() - b.first);
  b.audio = windows_(b.first, n);
  const torch::Tensor cycle =
      torch::arange(b.first, b.first + n, torch::kInt64).remainder(latents_.size(0));
  b.latents = latents_.index_select(0, cycle.to(latents_.device()));
  return b;
}

}  // namespace musetalk::pipeline
