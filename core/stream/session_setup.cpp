#include "stream/session_setup.h"

#include "files/byte_units.h"
#include "files/error.h"
#include "pipeline/png_avatar_images.h"

namespace musetalk::stream {

std::string SessionModels::key() const {
  return models_dir + "\n" + (version == UNetVersion::V15 ? "v15" : "v1") + "\n" + device.str() +
         "\n" + dtype_text(dtype);
}

ModelSet SessionModels::load(const std::function<bool()>& keep_going) const {
  return load_model_set(ModelPaths::in(models_dir, version), device, dtype, keep_going);
}

void check_session_avatar(const avatar::Avatar& avatar, const std::string& name) {
  const int64_t bytes = SessionAvatar::decoded_bytes(avatar);
  if (bytes > kDefaultAvatarBudgetBytes) {
    throw Error(name,
                "needs " + files::format_size(bytes) +
                    " for its decoded frames and masks, over the stream's " +
                    files::format_size(kDefaultAvatarBudgetBytes),
                "use a shorter avatar video (its frames are all kept decoded while streaming)");
  }
}

std::shared_ptr<const SessionAvatar> load_session_avatar(const avatar::Avatar& avatar,
                                                         const torch::Tensor& latents,
                                                         const ModelSet& models) {
  // Decoded on the CPU, then moved where compositing runs.
  pipeline::PngAvatarImages images(avatar, torch::kCPU);
  return SessionAvatar::load(avatar, images, latents, models.device, models.dtype, models.device);
}

StreamSettings session_settings(const SessionTiming& timing) {
  StreamSettings settings;
  settings.features.fps = timing.fps;
  settings.features.lookahead_ms = timing.lookahead_ms;
  settings.features.left_context_ms = timing.context_ms;
  settings.batch = timing.batch;
  settings.latency_ms = timing.latency_ms;
  settings.idle = timing.idle;
  return settings;
}

std::string dtype_text(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kFloat32:
      return "float32";
    case torch::kFloat16:
      return "float16";
    case torch::kBFloat16:
      return "bfloat16";
    default:
      return c10::toString(dtype);
  }
}

}  // namespace musetalk::stream
