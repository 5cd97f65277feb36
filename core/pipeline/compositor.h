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

}  // namespace musetalk::pipeline
