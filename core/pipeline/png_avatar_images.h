#pragma once
// The avatar's cycle frames and masks decoded from its PNG files (avatar/png_image.h: libpng,
// cv2.imread's pixels) into tensors: the AvatarImages of `musetalk render`, `musetalk stream` and
// the OBS source, with no FFmpeg or OpenCV behind it.

#include <torch/torch.h>

#include "avatar/avatar.h"
#include "pipeline/render_pipeline.h"

namespace musetalk::pipeline {

class PngAvatarImages : public AvatarImages {
 public:
  // avatar: must outlive this object. device: where frame() and mask() put their tensors.
  PngAvatarImages(const avatar::Avatar& avatar, torch::Device device);
  // (H, W, 3) uint8 BGR, from avatar.frame_files[j] (cv2.IMREAD_COLOR). Throws std::out_of_range
  // for j outside the cycle, musetalk::Error naming the file when it is missing or damaged.
  torch::Tensor frame(int j) override;
  // (h, w) uint8 grey, from avatar.mask_files[j] (cv2.IMREAD_GRAYSCALE). Throws as frame().
  torch::Tensor mask(int j) override;

 private:
  const avatar::Avatar& avatar_;
  torch::Device device_;
};

}  // namespace musetalk::pipeline
