#include "adapters/avatar_latents.h"

#include <algorithm>

#include "files/file_source.h"
#include "media/face_crop.h"
#include "media/image_io.h"
#include "pipeline/face_latents.h"

namespace musetalk::adapters {
namespace {

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

torch::Tensor face_crop(const avatar::Avatar& avatar, int64_t j) {
  const std::string& file = avatar.frame_files[j];
  const avatar::Box& box = avatar.face_boxes[j];
  media::Image crop = media::crop_resize_lanczos(media::read_png(file, 3), box.x1, box.y1, box.x2,
                                                 box.y2, pipeline::kFaceCropSize, file);
  return torch::from_blob(crop.pixels.data(), {crop.height, crop.width, 3}, torch::kUInt8).clone();
}

torch::Tensor make_avatar_latents(nn::AutoencoderKL& vae, double scaling_factor,
                                  const avatar::Avatar& avatar, int batch,
                                  const std::function<void(int64_t, int64_t)>& progress) {
  const auto n = static_cast<int64_t>(avatar.frame_count());
  batch = std::max(batch, 1);

  std::vector<torch::Tensor> latents(n);
  std::vector<int64_t> pending;  // cycle frames whose crops are in crops
  std::vector<torch::Tensor> crops;
  int64_t done = 0;
  auto encode_pending = [&] {
    if (pending.empty()) return;
    torch::Tensor encoded = pipeline::encode_face_crops(vae, scaling_factor, crops);
    for (size_t k = 0; k < pending.size(); ++k) latents[pending[k]] = encoded[k];
    done += static_cast<int64_t>(pending.size());
    if (progress) progress(done, n);
    pending.clear();
    crops.clear();
  };

  std::vector<int64_t> mirrored;
  for (int64_t j = 0; j < n; ++j) {
    if (mirrors_earlier_frame(avatar, j)) {
      mirrored.push_back(j);
      continue;
    }
    crops.push_back(face_crop(avatar, j));
    pending.push_back(j);
    if (static_cast<int>(pending.size()) == batch) encode_pending();
  }
  encode_pending();
  for (int64_t j : mirrored) latents[j] = latents[n - 1 - j];
  if (progress && !mirrored.empty()) progress(n, n);
  torch::InferenceMode inference;
  return torch::stack(latents);
}

}  // namespace musetalk::adapters
