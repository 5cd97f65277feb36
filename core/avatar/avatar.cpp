#include "avatar/avatar.h"

#include <filesystem>
#include <system_error>

#include "avatar/native_avatar.h"
#include "avatar/upstream_avatar.h"
#include "files/error.h"

namespace musetalk::avatar {

Avatar load_avatar(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    throw Error(path, "avatar folder not found", "check the path");
  }
  if (is_native_avatar(path)) return read_native_avatar(path);
  if (is_upstream_avatar(path)) return read_upstream_avatar(path);
  throw Error(path,
              "not an avatar folder: expected avatar.json (a musetalk avatar) or latents.pt and "
              "coords.pkl (an upstream MuseTalk real-time avatar)",
              "check the path, or create the avatar");
}

}  // namespace musetalk::avatar
