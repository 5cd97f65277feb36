#include "pipeline/png_avatar_images.h"

#include <cstdint>
#include <vector>

#include "avatar/png_image.h"

namespace musetalk::pipeline {
namespace {

torch::Tensor image_tensor(avatar::Image&& img, torch::Device device) {
  std::vector<int64_t> shape = {img.height, img.width};
  if (img.channels > 1) shape.push_back(img.channels);
  // The pixels are copied out of img before it goes (copy=true, even on the CPU).
  return torch::from_blob(img.pixels.data(), shape, torch::kUInt8)
      .to(device, /*non_blocking=*/false, /*copy=*/true);
}

}  // namespace

PngAvatarImages::PngAvatarImages(const avatar::Avatar& avatar, torch::Device device)
    : avatar_(avatar), device_(device) {}

torch::Tensor PngAvatarImages::frame(int j) {
  return image_tensor(avatar::read_png_image(avatar_.frame_files.at(j), 3), device_);
}

torch::Tensor PngAvatarImages::mask(int j) {
  return image_tensor(avatar::read_png_image(avatar_.mask_files.at(j), 1), device_);
}

}  // namespace musetalk::pipeline
