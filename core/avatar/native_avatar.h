#pragma once
// The native avatar cache (docs/avatar-format.md): avatar.json, latents.safetensors,
// frames/%08d.png, masks/%08d.png.

#include <string>
#include <vector>

#include "avatar/avatar.h"

namespace musetalk::avatar {

// The format_version this program writes and the newest it reads.
constexpr int kNativeFormatVersion = 1;

// True when dir holds avatar.json.
bool is_native_avatar(const std::string& dir);

// Reads and checks a native avatar folder. Throws Error naming the file (and frame) at fault.
Avatar read_native_avatar(const std::string& dir);

// Writes avatar as a native cache at out, which must not exist: the PNGs are copied byte for
// byte, the latents stored in their dtype, and each of extra_files (e.g. a preview image) copied
// into the folder under its own name. Everything is written into a temporary folder beside out,
// read back and checked, then renamed to out, so a failure leaves nothing behind.
void write_native_avatar(const Avatar& avatar, const std::string& out,
                         const std::vector<std::string>& extra_files = {});

}  // namespace musetalk::avatar
