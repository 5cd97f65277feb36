#include "solid_frame.h"

#include <cstddef>

namespace musetalk::test {

SolidFrame::SolidFrame(int width, int height, uint8_t b, uint8_t g, uint8_t r, int fps)
    : bgr(static_cast<size_t>(width) * height * 3) {
  for (size_t i = 0; i < bgr.size(); i += 3) {
    bgr[i] = b;
    bgr[i + 1] = g;
    bgr[i + 2] = r;
  }
  view.bgr = bgr.data();
  view.width = width;
  view.height = height;
  view.stride = width * 3;
  view.fps = fps;
}

}  // namespace musetalk::test
