#pragma once
// The avatar's UNet input latents made with the VAE, for avatars that ship without them: each
// cycle frame's PNG is read, its face box cropped and resized to 256x256 with OpenCV's
// INTER_LANCZOS4 (upstream MuseTalk scripts/realtime_inference.py Avatar.prepare_material), and
// the crops are encoded by pipeline::encode_face_crops.

#include <torch/torch.h>

#include <cstdint>
#include <functional>

#include "avatar/avatar.h"
#include "nn/vae.h"

namespace musetalk::adapters {

// (2N, 8, 32, 32) in the VAE's device and dtype, one latent per cycle frame. A second-half cycle
// frame j whose PNG and box equal frame 2N-1-j's (the ping-pong cycle) reuses that latent.
// progress(done, total) counts cycle frames. Throws Error naming the frame file for an unreadable
// PNG or a face box that is empty or leaves the frame.
torch::Tensor make_avatar_latents(nn::AutoencoderKL& vae, double scaling_factor,
                                  const avatar::Avatar& avatar, int batch,
                                  const std::function<void(int64_t, int64_t)>& progress);

// Cycle frame j's 256x256 face crop: (256, 256, 3) uint8 BGR on the CPU.
torch::Tensor face_crop(const avatar::Avatar& avatar, int64_t j);

}  // namespace musetalk::adapters
