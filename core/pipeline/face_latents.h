#pragma once
// The UNet's avatar latents from 256x256 face crops, as upstream MuseTalk makes them when it
// prepares an avatar (musetalk/models/vae.py VAE.get_latents_for_unet): the crop with its lower
// half blacked out and the whole crop, each VAE-encoded to the posterior mean x scaling_factor,
// then concatenated.

#include <torch/torch.h>

#include <vector>

#include "nn/vae.h"

namespace musetalk::pipeline {

constexpr int kFaceCropSize = 256;

// The VAE's two inputs for one crop. crop: (256, 256, 3) uint8 BGR on any device. Returns
// (2, 3, 256, 256) float32 RGB in [-1, 1] on the crop's device: row 0 with rows 128..255 black
// (-1 after normalising), row 1 the whole crop. Throws Error for another shape or dtype.
torch::Tensor vae_input_pair(const torch::Tensor& crop);

// crops: b tensors as vae_input_pair takes them. Returns (b, 8, 32, 32) in the VAE's device and
// dtype: channels 0-3 the masked crop's latent, 4-7 the whole crop's. Upstream samples the
// posterior with an unseeded generator; the mean makes avatar creation deterministic.
torch::Tensor encode_face_crops(nn::AutoencoderKL& vae, double scaling_factor,
                                const std::vector<torch::Tensor>& crops);

}  // namespace musetalk::pipeline
