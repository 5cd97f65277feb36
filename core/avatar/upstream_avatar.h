#pragma once
// Upstream MuseTalk's real-time avatar folder (scripts/realtime_inference.py
// Avatar.prepare_material; docs/avatar-format.md): avator_info.json, coords.pkl,
// mask_coords.pkl, latents.pt, full_imgs/%08d.png, mask/%08d.png.

#include <string>

#include "avatar/avatar.h"

namespace musetalk::avatar {

// True when dir holds any of latents.pt, coords.pkl or avator_info.json (the reader then names
// whichever of the others is missing).
bool is_upstream_avatar(const std::string& dir);

// Reads and checks an upstream avatar folder. Throws Error naming the file (and frame) at fault.
Avatar read_upstream_avatar(const std::string& dir);

}  // namespace musetalk::avatar
