#pragma once
// Paste-back of a generated face into its avatar frame (MuseTalk musetalk/utils/blending.py
// get_crop_box, get_image_blending), on the device the tensors are on. Integer arithmetic
// throughout, so CPU and GPU give the same bytes.

#include <torch/torch.h>

#include "avatar/avatar.h"

namespace musetalk::pipeline {

using avatar::Box;

// The square crop around the face box that the blending mask covers (MuseTalk
// musetalk/utils/blending.py get_crop_box): centre (x1 + x2) // 2, half side
// s = int(max(w, h) // 2 * expand). May leave the frame.
Box crop_box_for(const Box& box, double expand = 1.5);

// cv2.resize(face, (width, height)) with INTER_LINEAR on uint8: half-pixel centres, no
// antialias, OpenCV's 11-bit fixed-point weights and rounding. face: (h, w, 3) uint8.
torch::Tensor resize_face(const torch::Tensor& face, int width, int height);

// MuseTalk musetalk/utils/blending.py get_image_blending: the face (already resized to box)
// hard-pasted into the crop region, then blended into the frame through the mask with PIL's
// rounding. frame: (H, W, 3) uint8; face: (box.height(), box.width(), 3) uint8; mask:
// (crop.height(), crop.width()) uint8. Returns a new (H, W, 3) uint8 frame; parts of the crop
// outside the frame are ignored.
torch::Tensor paste_face(const torch::Tensor& frame, const torch::Tensor& face, const Box& box,
                         const torch::Tensor& mask, const Box& crop);

// A finished frame: face256 ((256, 256, 3) uint8) resized to box and pasted into frame through
// mask, as above; all on one device. A frame whose face box is empty or upstream's (0,0,0,0)
// placeholder is returned unchanged (MuseTalk scripts/realtime_inference.py
// Avatar.process_frames skips it).
torch::Tensor compose_frame(const torch::Tensor& frame, const torch::Tensor& mask, const Box& box,
                            const Box& crop, const torch::Tensor& face256);

}  // namespace musetalk::pipeline
