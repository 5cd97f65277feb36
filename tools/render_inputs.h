#pragma once
// `musetalk render`'s inputs, checked and resolved before any model loads, so that a wrong option
// or file fails in a second with its name and a fix, not after minutes of loading or at the end
// of the render. Each check throws musetalk::Error naming the option (as typed) or the file.

#include <torch/torch.h>

#include <string>

#include "avatar/avatar.h"
#include "media/audio_decoder.h"
#include "model/model_set.h"

namespace musetalk::tools {

// --out: not a folder, named .mp4 (render writes H.264 + AAC in MP4), in an existing folder this
// process can create files in, and not the --audio file itself.
// out_option and audio_option: how the options are named in the messages (stream's --output and
// --input).
void check_output_file(const std::string& out, const std::string& audio,
                       const std::string& out_option = "--out",
                       const std::string& audio_option = "--audio");

// --frames-dir: "" (none) or a path that does not exist yet, nor its staging folder
// (adapters::frames_staging_dir, which render never deletes), below a folder this process can
// create folders in.
void check_frames_dir(const std::string& dir);

// --crf 0..51, --batch >= 1, --threads 0..1024 (0: all cores), --fps 0..240 (0: the avatar's).
void check_render_numbers(int crf, int batch, int threads, int fps);

// The frame rate of the video: --fps, or when it is 0 the avatar's, which must lie in 1..240.
int render_fps(int option_fps, const avatar::Avatar& avatar);

// The audio gives at least one video frame at fps; otherwise Error naming the file, its duration
// and the frame length (1/fps s). audio: media::measure_audio_16k_mono(), which decodes the file
// without holding it.
void check_audio_length(const media::AudioLength& audio, int fps);

// The UNet version to render with: --version when given (option non-empty), else the one the
// avatar records (Avatar::model_version_source), else v15: an avatar that records none (an
// upstream one from before v1.5, or its imported copy) renders with v15 either way. warning: ""
// or one line saying that --version contradicts the version the avatar records, or that the
// recorded version, unknown to this program, was ignored for --version. Throws Error naming
// --version when it is unknown, or the avatar's file when it records an unknown version and
// --version is not given.
UNetVersion render_version(const std::string& option, const avatar::Avatar& avatar,
                           std::string& warning);

struct RenderDevice {
  torch::Device device;
  torch::ScalarType dtype;
};

// --device and --precision resolved (runtime_options.h), errors naming the options.
RenderDevice render_device(const std::string& device, const std::string& precision);

}  // namespace musetalk::tools
