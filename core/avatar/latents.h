#pragma once
// The latent stack: one (8, 32, 32) UNet input per cycle frame, stacked to (2N, 8, 32, 32).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "files/tensor_data.h"

namespace musetalk::avatar {

// Per-frame latent shape; channels 0-3 masked, 4-7 reference (MuseTalk musetalk/models/vae.py
// VAE.get_latents_for_unet).
inline const std::vector<int64_t> kLatentShape = {8, 32, 32};

// Stacks tensors of one dtype and numel along a new first dimension, giving (count, 8, 32, 32).
// Throws FormatError when the dtypes differ or an element count is not 8*32*32.
files::TensorData stack_latents(const std::vector<files::TensorData>& per_frame);

// Throws Error naming file unless latents is a float tensor of shape (frames, 8, 32, 32).
void check_latents(const files::TensorData& latents, size_t frames, const std::string& file);

}  // namespace musetalk::avatar
