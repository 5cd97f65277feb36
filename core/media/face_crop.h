#pragma once
// The face crop the VAE encodes when an avatar's latents are made (MuseTalk
// scripts/realtime_inference.py Avatar.prepare_material): the face box's pixels resized to a
// square with OpenCV's INTER_LANCZOS4, exactly as upstream's cv2 call.

#include "media/image_io.h"

namespace musetalk::media {

// frame: BGR; the box [x1, x2) x [y1, y2) must be non-empty and inside the frame. what names the
// frame in errors. Returns a size x size BGR image.
Image crop_resize_lanczos(const Image& frame, int x1, int y1, int x2, int y2, int size,
                          const std::string& what);

}  // namespace musetalk::media
