#pragma once
// A video frame of one colour as the session hands it to its outputs (stream/stream_frame.h),
// for the tests of the window and the virtual camera.

#include <cstdint>
#include <vector>

#include "stream/stream_frame.h"

namespace musetalk::test {

// width x height packed BGR pixels of colour (b, g, r) at fps; view points into bgr (rows
// width * 3 bytes apart), so the frame must not be copied or moved while view is in use.
struct SolidFrame {
  SolidFrame(int width, int height, uint8_t b, uint8_t g, uint8_t r, int fps = 25);
  SolidFrame(const SolidFrame&) = delete;
  SolidFrame& operator=(const SolidFrame&) = delete;

  std::vector<uint8_t> bgr;
  stream::FrameView view;
};

}  // namespace musetalk::test
