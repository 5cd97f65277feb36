#pragma once
// An avatar as a streaming session holds it: its boxes, its UNet latents on the models' device,
// and every cycle frame and mask decoded once and kept where compositing runs (the GPU on CUDA,
// the host otherwise), so no image is decoded per output frame. The cycle's second half repeats
// the first reversed (docs/avatar-format.md); each distinct file is decoded once. Immutable once
// loaded: a session swaps avatars by swapping the shared pointer.

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "avatar/avatar.h"
#include "pipeline/render_pipeline.h"

namespace musetalk::stream {

// Decoded images a session may hold for one avatar unless told otherwise: 2 GiB, a 40 s 1080p
// cycle (1000 frames of 6 MiB, masks aside).
constexpr int64_t kDefaultAvatarBudgetBytes = int64_t{2} << 30;

class SessionAvatar {
 public:
  // images: decodes cycle frame/mask j (pipeline/png_avatar_images.h PngAvatarImages); latents:
  // (2N, 8, 32, 32), moved to latent_device in latent_dtype; frames and masks move to
  // image_device. Throws Error naming the avatar when its decoded images need more than
  // budget_bytes (with the size and the fix), or naming the file of an image whose shape does not
  // match the avatar's boxes.
  static std::shared_ptr<const SessionAvatar> load(
      const avatar::Avatar& avatar, pipeline::AvatarImages& images, const torch::Tensor& latents,
      torch::Device latent_device, torch::ScalarType latent_dtype, torch::Device image_device,
      int64_t budget_bytes = kDefaultAvatarBudgetBytes);

  // Bytes the decoded frames and masks of avatar take (each distinct file once), from the sizes
  // it records, without decoding anything.
  static int64_t decoded_bytes(const avatar::Avatar& avatar);

  const avatar::Avatar& info() const { return avatar_; }
  int64_t cycle() const { return static_cast<int64_t>(avatar_.face_boxes.size()); }
  int width() const { return avatar_.frame_width; }
  int height() const { return avatar_.frame_height; }
  int64_t bytes() const { return bytes_; }  // decoded frames and masks

  // Cycle frame j mod cycle(): (H, W, 3) uint8 BGR on the image device.
  const torch::Tensor& frame(int64_t j) const;
  // Its blending mask: (crop height, crop width) uint8 on the image device.
  const torch::Tensor& mask(int64_t j) const;
  // The UNet's avatar latents of frames [first, first + count) of the timeline: cycle indices
  // first mod 2N onward, (count, 8, 32, 32).
  torch::Tensor latents(int64_t first, int64_t count) const;
  // Timeline frame f with the generated face256 ((256, 256, 3) uint8, any device) pasted in:
  // (H, W, 3) uint8 on the image device.
  torch::Tensor compose(int64_t f, const torch::Tensor& face256) const;

 private:
  SessionAvatar() = default;
  avatar::Avatar avatar_;
  torch::Tensor latents_;
  std::vector<torch::Tensor> frames_, masks_;  // per cycle index; mirrored indices share storage
  int64_t bytes_ = 0;
};

// The decoded avatar as render's image source (pipeline/render_pipeline.h AvatarImages), so an
// offline render decodes each PNG once too.
class DecodedAvatarImages : public pipeline::AvatarImages {
 public:
  explicit DecodedAvatarImages(std::shared_ptr<const SessionAvatar> avatar)
      : avatar_(std::move(avatar)) {}
  torch::Tensor frame(int j) override { return avatar_->frame(j); }
  torch::Tensor mask(int j) override { return avatar_->mask(j); }

 private:
  std::shared_ptr<const SessionAvatar> avatar_;
};

}  // namespace musetalk::stream
