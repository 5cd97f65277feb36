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
  // A folder that holds avatars (data/sample holds avatar/): name them in the fix.
  std::string inside;
  for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
    const std::string sub = entry.path().string();
    if (entry.is_directory(ec) && (is_native_avatar(sub) || is_upstream_avatar(sub))) {
      inside += (inside.empty() ? "" : ", ") + sub;
    }
  }
  throw Error(path,
              "not an avatar folder: expected avatar.json (a musetalk avatar) or latents.pt and "
              "coords.pkl (an upstream MuseTalk real-time avatar)",
              inside.empty() ? "check the path, or create the avatar"
                             : "pass the avatar folder inside it: " + inside);
}

}  // namespace musetalk::avatar
