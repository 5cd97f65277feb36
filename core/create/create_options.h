#pragma once
// What `musetalk avatar create` is asked to do and what it reports: the settings of MuseTalk's
// avatar preparation (scripts/realtime_inference.py Avatar.prepare_material and its arguments)
// and the per-frame outcome.

#include <torch/torch.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "avatar/avatar.h"
#include "avatar/face_box_rules.h"
#include "media/face_mask.h"
#include "media/video_reader.h"
#include "model/model_set.h"

namespace musetalk::create {

struct CreateOptions {
  std::string video;       // a video file FFmpeg reads, or a still image
  std::string out;         // the new avatar folder; must not exist
  std::string models_dir;  // models/README.md layout
  UNetVersion version = UNetVersion::V15;
  int bbox_shift = 0;  // v1 only; v1.5 uses 0 and a 10 px bottom margin
  media::ParsingMode parsing_mode = media::ParsingMode::Jaw;
  int cheek_width = 90;  // pixels of the 512x512 parsing map, each side of its centre (jaw mode)
  int fps = 25;          // the avatar's frame rate; the source is resampled to it
  double start_s = 0, duration_s = 0;  // the part of the video to use; duration 0: to the end
  std::optional<avatar::Box> box;      // a fixed face box for every frame: no detection
  torch::Device device = torch::kCPU;
  // The VAE's dtype. S3FD, DWPose and BiSeNet always run in float32, as upstream runs them: their
  // boxes, landmark bins and labels shift in reduced precision (bf16 BiSeNet changes 2% of the
  // labels), and they cost little next to the VAE.
  torch::ScalarType dtype = torch::kFloat32;
  int batch = 8;  // frames per network pass
  // Called as each stage advances: stage ("decode", "detect", "landmarks", "parsing",
  // "latents"), frames done, frames in the stage.
  std::function<void(const std::string&, int64_t, int64_t)> progress;
};

// One source frame's outcome.
struct FrameReport {
  int64_t index = 0;  // in the resampled sequence, from 0
  double time_s = 0;  // on the source's timeline
  std::optional<avatar::Box> face_box;
  std::string box_source;  // "given", "landmarks", "detector"; "none" when dropped
  std::string dropped;     // why it is not in the avatar ("" when kept)
  std::vector<std::string> warnings;
};

struct StageSeconds {
  double decode = 0, detect = 0, landmarks = 0, parsing = 0, latents = 0, write = 0;
};

struct CreateSummary {
  media::VideoInfo video;
  std::string out;
  std::vector<FrameReport> frames;  // every frame read, in order
  int64_t kept = 0;                 // frames in the cycle's first half (the cycle has 2 x kept)
  std::optional<avatar::BboxShiftRange> bbox_shift_range;  // none with a given box
  StageSeconds seconds;
  std::string preview;  // the contact sheet's path
};

// The files avatar creation reads under the models folder (models/README.md).
struct CreateModelPaths {
  ModelPaths vae;  // the VAE's config and weights
  std::string s3fd, dwpose, bisenet;
  static CreateModelPaths in(const std::string& models_dir);
};

}  // namespace musetalk::create
