#include "pipeline/avatar_latents.h"

#include <algorithm>

#include "files/error.h"
#include "files/file_source.h"
#include "media/face_crop.h"

namespace musetalk::pipeline {
namespace {

// Cycle frame j's 256x256 face crop.
media::Image face_crop(const avatar::Avatar& avatar, int64_t j) {
  const std::string& file = avatar.frame_files[j];
  const avatar::Box& box = avatar.face_boxes[j];
  return media::crop_resize_lanczos(media::read_png(file, 3), box.x1, box.y1, box.x2, box.y2,
                                    kFaceCropSize, file);
}

// True when cycle frame j is the mirror of frame 2N-1-j: same PNG bytes, same face box.
bool mirrors_earlier_frame(const avatar::Avatar& avatar, int64_t j) {
  const auto n = static_cast<int64_t>(avatar.frame_count());
  const int64_t mirror = n - 1 - j;
  if (mirror >= j) return false;
  return avatar.face_boxes[j] == avatar.face_boxes[mirror] &&
         files::read_whole_file(avatar.frame_files[j]) ==
             files::read_whole_file(avatar.frame_files[mirror]);
}

}  // namespace

torch::Tensor vae_input_pair(const media::Image& crop) {
  if (crop.channels != 3 || crop.width != kFaceCropSize || crop.height != kFaceCropSize) {
    throw Error("face crop", "is not a 256x256 BGR image");
  }
  torch::Tensor bgr = torch::from_blob(const_cast<uint8_t*>(crop.pixels.data()),
                                       {crop.height, crop.width, 3}, torch::kUInt8);
  // Upstream divides in float64 (numpy) and then converts to float32.
  torch::Tensor rgb =
      bgr.flip(2).permute({2, 0, 1}).to(torch::kFloat64).div(255.0).to(torch::kFloat32);
  torch::Tensor masked = rgb.clone();
  masked.narrow(1, kFaceCropSize / 2, kFaceCropSize / 2).zero_();
  return torch::stack({masked, rgb}).sub(0.5).div(0.5);
}

torch::Tensor make_avatar_latents(nn::AutoencoderKL& vae, double scaling_factor,
                                  const avatar::Avatar& avatar, int batch,
                                  const std::function<void(int64_t, int64_t)>& progress) {
  torch::InferenceMode inference;
  const torch::Tensor param = vae->parameters().front();
  const auto n = static_cast<int64_t>(avatar.frame_count());
  batch = std::max(batch, 1);

  std::vector<torch::Tensor> latents(n);
  std::vector<int64_t> pending;  // cycle frames whose crops are in inputs
  std::vector<torch::Tensor> inputs;
  int64_t done = 0;
  auto encode_pending = [&] {
    if (pending.empty()) return;
    torch::Tensor x = torch::cat(inputs).to(param.device(), param.scalar_type());
    torch::Tensor mean = vae->encode(x).first.mul(scaling_factor);  // (2b, 4, 32, 32)
    for (size_t k = 0; k < pending.size(); ++k) {
      const auto i = static_cast<int64_t>(k);
      latents[pending[k]] = torch::cat({mean[2 * i], mean[2 * i + 1]});  // masked, reference
    }
    done += static_cast<int64_t>(pending.size());
    if (progress) progress(done, n);
    pending.clear();
    inputs.clear();
  };

  std::vector<int64_t> mirrored;
  for (int64_t j = 0; j < n; ++j) {
    if (mirrors_earlier_frame(avatar, j)) {
      mirrored.push_back(j);
      continue;
    }
    inputs.push_back(vae_input_pair(face_crop(avatar, j)));
    pending.push_back(j);
    if (static_cast<int>(pending.size()) == batch) encode_pending();
  }
  encode_pending();
  for (int64_t j : mirrored) latents[j] = latents[n - 1 - j];
  if (progress && !mirrored.empty()) progress(n, n);
  return torch::stack(latents);
}

}  // namespace musetalk::pipeline
