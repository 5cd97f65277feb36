#pragma once
// Where finished frames go (encoder, window, virtual camera). Torch-free so sinks can live in
// libraries that do not link LibTorch.

#include <cstdint>

namespace musetalk::pipeline {

class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // One frame of packed BGR bytes, rows stride bytes apart; called in frame order.
  virtual void write_bgr(const uint8_t* bgr, int width, int height, int stride) = 0;
};

}  // namespace musetalk::pipeline
