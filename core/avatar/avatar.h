#pragma once
// An avatar: the cycle of 2N frames (N source frames then the same frames reversed) with, per
// frame, a face box, a blending mask and its crop box, and the UNet input latent
// (docs/avatar-format.md). Read from either the native cache or upstream MuseTalk's real-time
// avatar folder (written by scripts/realtime_inference.py Avatar.prepare_material); both load to
// the same structure and pass the same checks.

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "files/tensor_data.h"

namespace musetalk::avatar {

// The fix for an avatar that is damaged or inconsistent: make it again from its video.
inline constexpr const char* kRecreateFix =
    "create the avatar again: musetalk avatar create --video VIDEO --out NEW_FOLDER";

// Pixel box [x1, x2) x [y1, y2), in frame coordinates.
struct Box {
  int x1 = 0, y1 = 0, x2 = 0, y2 = 0;

  int width() const { return x2 - x1; }
  int height() const { return y2 - y1; }
  bool empty() const { return x1 == 0 && y1 == 0 && x2 == 0 && y2 == 0; }
  bool operator==(const Box& o) const {
    return x1 == o.x1 && y1 == o.y1 && x2 == o.x2 && y2 == o.y2;
  }
  bool operator!=(const Box& o) const { return !(*this == o); }
};

// Which file each per-frame list came from, so that errors can name it.
struct AvatarSources {
  std::string face_boxes;  // coords.pkl or avatar.json
  std::string mask_boxes;  // mask_coords.pkl or avatar.json
  std::string latents;     // latents.pt or latents.safetensors ("" when a native avatar has none)
  std::string frames_dir;  // full_imgs/ or frames/
  std::string masks_dir;   // mask/ or masks/
};

struct Avatar {
  std::string root;        // the folder it was loaded from
  std::string layout;      // "native" or "upstream"
  int format_version = 0;  // native: avatar.json's format_version; upstream: 0
  // The UNet version the latents and masks were made for, as recorded ("v15", "v1"); "" when the
  // avatar records none (an upstream avatar from before v1.5, whose avator_info.json has no
  // "version", and its imported copy): render then uses its default.
  std::string model_version;
  // The file that records model_version (avatar.json, avator_info.json); "" when none does.
  std::string model_version_source;
  int fps = 25;
  std::string source;  // the video it was made from, as recorded (may be relative)
  int frame_width = 0, frame_height = 0;

  // One entry per cycle frame (2N). Mask boxes are the crop boxes of MuseTalk
  // musetalk/utils/blending.py get_crop_box (they may leave the frame); each mask PNG is
  // mask_box.width() x mask_box.height().
  std::vector<Box> face_boxes;
  std::vector<Box> mask_boxes;
  std::vector<std::string> frame_files;  // paths of the frame PNGs (8-bit RGB/BGR)
  std::vector<std::string> mask_files;   // paths of the mask PNGs (8-bit grey)
  // (2N, 8, 32, 32): channels 0-3 masked, 4-7 reference. A native avatar may leave them out;
  // render then makes them with the user's VAE (MuseTalk musetalk/models/vae.py
  // VAE.get_latents_for_unet; adapters/avatar_latents.h).
  files::TensorData latents;

  // How it was made: {"bbox_shift": 0, ...}; an object, possibly empty.
  nlohmann::ordered_json parameters = nlohmann::ordered_json::object();
  AvatarSources sources;

  size_t frame_count() const { return frame_files.size(); }
  bool has_latents() const { return latents.storage != nullptr; }
};

// Reads the avatar folder at path, telling the layout from its files (avatar.json: native;
// latents.pt and coords.pkl: upstream), and checks it (avatar_checks.h). Throws Error naming the
// file (and frame) at fault.
Avatar load_avatar(const std::string& path);

}  // namespace musetalk::avatar
