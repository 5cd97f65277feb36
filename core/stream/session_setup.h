#pragma once
// Setting up a StreamSession for an avatar as the host programs do: `musetalk stream`
// (tools/stream_command.cpp) and the OBS source (plugin/avatar_worker.cpp). Each host resolves
// its user's choices (device, precision, UNet version, frame rate: errors name its own options or
// properties) and keeps what it loaded as it likes; which models load, where the avatar is
// decoded and which settings the session gets from those choices are decided here, once, so the
// command and the source stream an avatar alike.

#include <torch/torch.h>

#include <memory>
#include <string>

#include "avatar/avatar.h"
#include "model/model_set.h"
#include "stream/session_avatar.h"
#include "stream/stream_session.h"

namespace musetalk::stream {

// The models a session runs on: the UNet version's files in a models folder (models/README.md),
// on a device in a dtype (model/runtime_options.h resolves both).
struct SessionModels {
  std::string models_dir;
  UNetVersion version = UNetVersion::V15;
  torch::Device device = torch::kCPU;
  torch::ScalarType dtype = torch::kFloat32;

  // The four on one line each: equal keys load the same ModelSet, so a host that keeps its models
  // across reconfigurations reloads them only when the key changes.
  std::string key() const;
  // load_model_set of ModelPaths::in(models_dir, version) on device in dtype, asking keep_going
  // between the networks. Throws its Error naming the file for anything missing or mismatched,
  // or LoadStopped.
  ModelSet load(const std::function<bool()>& keep_going = {}) const;
};

// Before any model loads: throws Error naming `name` (the avatar as the user gave it) when the
// avatar's decoded frames and masks would not fit the session's budget (kDefaultAvatarBudgetBytes,
// counted by SessionAvatar::decoded_bytes), with their size and the fix.
void check_session_avatar(const avatar::Avatar& avatar, const std::string& name);

// The avatar as a session holds it with these models: its latents ((2N, 8, 32, 32), from its
// latents.safetensors or made with the VAE) on the models' device in their dtype, its cycle frames
// and masks decoded from its PNGs (pipeline/png_avatar_images.h) onto the same device, where
// compositing runs. Throws SessionAvatar::load's Errors (the budget, a damaged or mismatched
// image).
std::shared_ptr<const SessionAvatar> load_session_avatar(const avatar::Avatar& avatar,
                                                         const torch::Tensor& latents,
                                                         const ModelSet& models);

// A host's timing choices; the defaults are `musetalk stream`'s.
struct SessionTiming {
  int fps = 25;  // the video's frame rate: the avatar's unless the host chooses
  int lookahead_ms = 200;
  int context_ms = 20000;
  int batch = 4;
  int latency_ms = 0;  // 0: measured by StreamSession::warm_up()
  bool idle = true;    // silence shows cycle frames without running the networks
};

// The session's settings from those choices (the rest at StreamSettings' defaults). The session
// checks them when it is created.
StreamSettings session_settings(const SessionTiming& timing);

// "float32", "float16", "bfloat16" (else LibTorch's name): how hosts show a session's dtype.
std::string dtype_text(torch::ScalarType dtype);

}  // namespace musetalk::stream
