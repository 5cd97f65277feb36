// make_latents_avatar MODELS_DIR AVATAR_DIR OUT: writes AVATAR_DIR as a native avatar at OUT (which
// must not exist) with the VAE latents of its cycle frames, encoded by the VAE in MODELS_DIR on the
// CPU in float32 and stored in float16, as `musetalk avatar create` stores them
// (core/create/avatar_creator.cpp). The OBS source's tests (tests/obs/obs_host.h
// latents_avatar_dir) turn the repository's sample avatar, which ships without latents, into an
// avatar the plugin loads as it loads a real one. A separate process, so that the test host links
// neither LibTorch nor the core: it loads them only through the plugin module.
#include <torch/torch.h>

#include <cstdio>
#include <exception>

#include "adapters/avatar_latents.h"
#include "avatar/avatar.h"
#include "avatar/native_avatar.h"
#include "model/model_set.h"
#include "torch_io/state_dict.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: make_latents_avatar MODELS_DIR AVATAR_DIR OUT\n");
    return 2;
  }
  try {
    using namespace musetalk;
    torch::InferenceMode inference;
    avatar::Avatar a = avatar::load_avatar(argv[2]);
    LoadedVae vae =
        load_vae_alone(ModelPaths::in(argv[1], UNetVersion::V15), torch::kCPU, torch::kFloat32);
    const torch::Tensor latents =
        adapters::make_avatar_latents(vae.vae, vae.config.scaling_factor, a, 4, nullptr);
    a.latents = to_file_tensor(latents.to(torch::kCPU, torch::kHalf).contiguous());
    avatar::write_native_avatar(a, argv[3]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
