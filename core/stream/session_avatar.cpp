#include "stream/session_avatar.h"

#include "avatar/avatar.h"
#include "files/byte_units.h"
#include "files/error.h"
#include "pipeline/compositor.h"
#include "torch_io/state_dict.h"

namespace musetalk::stream {
namespace {

std::string image_name(const std::vector<std::string>& files, const avatar::Avatar& avatar,
                       const char* what, int64_t j) {
  if (static_cast<size_t>(j) < files.size()) return files[j];
  return avatar.root + " " + what + " " + std::to_string(j);
}

}  // namespace

int64_t SessionAvatar::decoded_bytes(const avatar::Avatar& avatar) {
  int64_t bytes = 0;
  std::map<std::string, bool> counted;
  for (size_t j = 0; j < avatar.face_boxes.size() && j < avatar.mask_boxes.size(); ++j) {
    const std::string key = image_name(avatar.frame_files, avatar, "frame", j) + "|" +
                            image_name(avatar.mask_files, avatar, "mask", j);
    if (counted.emplace(key, true).second) {
      bytes += int64_t{avatar.frame_width} * avatar.frame_height * 3;
      bytes += int64_t{avatar.mask_boxes[j].width()} * avatar.mask_boxes[j].height();
    }
  }
  return bytes;
}

std::shared_ptr<const SessionAvatar> SessionAvatar::load(
    const avatar::Avatar& avatar, pipeline::AvatarImages& images, const torch::Tensor& latents,
    torch::Device latent_device, torch::ScalarType latent_dtype, torch::Device image_device,
    int64_t budget_bytes) {
  std::shared_ptr<SessionAvatar> out(new SessionAvatar());
  out->avatar_ = avatar;
  const int64_t cycle = out->cycle();
  if (cycle == 0 || avatar.mask_boxes.size() != avatar.face_boxes.size()) {
    throw Error(avatar.root,
                "has " + std::to_string(cycle) + " face boxes and " +
                    std::to_string(avatar.mask_boxes.size()) + " mask boxes",
                std::string(avatar::kRecreateFix) + " (it needs one of each per cycle frame)");
  }
  if (latents.dim() != 4 || latents.size(0) != cycle) {
    throw Error(avatar.sources.latents.empty() ? avatar.root : avatar.sources.latents,
                "holds latents " + files::shape_string(latents.sizes().vec()) + " for " +
                    std::to_string(cycle) + " cycle frames",
                avatar::kRecreateFix);
  }
  // The budget is checked before decoding anything, from the sizes the avatar records.
  const int64_t needed = decoded_bytes(avatar);
  if (needed > budget_bytes) {
    throw Error(avatar.root,
                "needs " + files::format_size(needed) +
                    " for its decoded cycle frames and masks, " + "over the session's budget of " +
                    files::format_size(budget_bytes),
                "use a shorter avatar video or raise the budget");
  }
  out->latents_ = latents.to(latent_device, latent_dtype);
  out->frames_.resize(cycle);
  out->masks_.resize(cycle);
  std::map<std::string, int64_t> first_use;
  for (int64_t j = 0; j < cycle; ++j) {
    const std::string frame_file = image_name(avatar.frame_files, avatar, "frame", j);
    const std::string mask_file = image_name(avatar.mask_files, avatar, "mask", j);
    const auto seen = first_use.find(frame_file + "|" + mask_file);
    if (seen != first_use.end()) {
      out->frames_[j] = out->frames_[seen->second];
      out->masks_[j] = out->masks_[seen->second];
      continue;
    }
    first_use[frame_file + "|" + mask_file] = j;
    torch::Tensor frame = images.frame(static_cast<int>(j));
    if (frame.dim() != 3 || frame.size(2) != 3 || frame.scalar_type() != torch::kUInt8 ||
        frame.size(0) != avatar.frame_height || frame.size(1) != avatar.frame_width) {
      throw Error(frame_file,
                  "is " + files::shape_string(frame.sizes().vec()) + ", not an 8-bit " +
                      std::to_string(avatar.frame_width) + "x" +
                      std::to_string(avatar.frame_height) + " 3-channel image",
                  avatar::kRecreateFix);
    }
    torch::Tensor mask = images.mask(static_cast<int>(j));
    const avatar::Box& crop = avatar.mask_boxes[j];
    if (mask.dim() != 2 || mask.size(0) != crop.height() || mask.size(1) != crop.width()) {
      throw Error(mask_file,
                  "has shape " + files::shape_string(mask.sizes().vec()) + " but its mask box is " +
                      std::to_string(crop.width()) + "x" + std::to_string(crop.height()),
                  avatar::kRecreateFix);
    }
    out->frames_[j] = frame.to(image_device).contiguous();
    out->masks_[j] = mask.to(image_device).contiguous();
    out->bytes_ += out->frames_[j].numel() + out->masks_[j].numel();
  }
  return out;
}

const torch::Tensor& SessionAvatar::frame(int64_t j) const {
  return frames_[static_cast<size_t>(j % cycle())];
}

const torch::Tensor& SessionAvatar::mask(int64_t j) const {
  return masks_[static_cast<size_t>(j % cycle())];
}

torch::Tensor SessionAvatar::latents(int64_t first, int64_t count) const {
  std::vector<int64_t> index(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) index[k] = (first + k) % cycle();
  return latents_.index_select(
      0, torch::tensor(index, torch::TensorOptions().dtype(torch::kLong)).to(latents_.device()));
}

torch::Tensor SessionAvatar::compose(int64_t f, const torch::Tensor& face256) const {
  const int64_t j = f % cycle();
  return pipeline::compose_frame(frames_[j], masks_[j], avatar_.face_boxes[j],
                                 avatar_.mask_boxes[j], face256.to(frames_[j].device()));
}

}  // namespace musetalk::stream
