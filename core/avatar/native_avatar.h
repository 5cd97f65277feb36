#pragma once
// The native avatar cache (docs/avatar-format.md): avatar.json, latents.safetensors,
// frames/%08d.png, masks/%08d.png.

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "avatar/avatar.h"

namespace musetalk::avatar {

// The format_version this program writes and the newest it reads.
constexpr int kNativeFormatVersion = 1;

// The folder `out` names, absolute, without a trailing separator ("new/" and "new/." are "new"),
// so that the files written beside it (".new.partial") land in its parent. Throws Error naming
// `out` when it is empty.
std::filesystem::path avatar_folder_path(const std::string& out);

// The name of cycle frame i's PNG in frames/ and masks/: "%08zu.png".
std::string cycle_png_name(size_t i);

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
