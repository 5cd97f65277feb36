#pragma once
// The avatar's UNet input latents made with the VAE (spec 4.3), for avatars that ship without
// them: each cycle frame's face box is cropped, resized to 256x256 (Lanczos), encoded twice
// (lower half black, then whole) and the two posterior means, scaled, are concatenated.

#include <torch/torch.h>

#include <cstdint>
#include <functional>

#include "avatar/avatar.h"
#include "media/image_io.h"
#include "nn/vae.h"

namespace musetalk::pipeline {

constexpr int kFaceCropSize = 256;

// The VAE's two inputs for one 256x256 BGR crop: (2, 3, 256, 256) float32 RGB in [-1, 1], row 0
// with rows 128..255 black (-1 after normalising), row 1 the whole crop.
torch::Tensor vae_input_pair(const media::Image& crop);

// (2N, 8, 32, 32) in the VAE's device and dtype: channels 0-3 the masked crop's latent, 4-7 the
// whole crop's, both posterior means x scaling_factor (the mean, not upstream's unseeded sample:
// spec 4.3 step 4). A second-half cycle frame j whose PNG and box equal frame 2N-1-j's (the
// ping-pong cycle, spec 4.4) reuses that latent. progress(done, total) counts cycle frames.
torch::Tensor make_avatar_latents(nn::AutoencoderKL& vae, double scaling_factor,
                                  const avatar::Avatar& avatar, int batch,
                                  const std::function<void(int64_t, int64_t)>& progress);

}  // namespace musetalk::pipeline
