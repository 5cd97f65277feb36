#pragma once
// One batch of generated faces (MuseTalk scripts/realtime_inference.py Avatar.inference): audio
// tokens + positional encoding and the avatar's latents through the UNet at t = 0, then the VAE
// decoder to 256x256 BGR bytes. Runs on whatever device and dtype the models are on; call under
// torch::InferenceMode.

#include <torch/torch.h>

#include "nn/unet.h"
#include "nn/vae.h"

namespace musetalk {

struct GeneratedFaces {
  torch::Tensor latents;  // (B, 4, 32, 32): the UNet's prediction
  torch::Tensor bgr;      // (B, 256, 256, 3) uint8, on the models' device
};

// audio: (B, 50, 384) per-frame Whisper windows before positional encoding;
// avatar_latents: (B, 8, 32, 32), masked and reference latents (MuseTalk musetalk/models/vae.py
// VAE.get_latents_for_unet).
GeneratedFaces generate_faces(nn::UNet2DConditionModel& unet, nn::AutoencoderKL& vae,
                              double scaling_factor, const torch::Tensor& audio,
                              const torch::Tensor& avatar_latents);

// decode(latents / scaling) -> round(clamp(x / 2 + 0.5, 0, 1) * 255) as uint8, RGB -> BGR,
// channels last (MuseTalk musetalk/models/vae.py VAE.decode_latents). Rounds half to even like
// numpy.
torch::Tensor decode_to_bgr(nn::AutoencoderKL& vae, const torch::Tensor& latents,
                            double scaling_factor);

}  // namespace musetalk
