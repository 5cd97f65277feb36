#include "render_inputs.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "adapters/file_adapters.h"
#include "audio/audio_features.h"
#include "files/error.h"
#include "model/runtime_options.h"

namespace musetalk::tools {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxFps = 240;
constexpr int kMaxThreads = 1024;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// "" when this process can create a file in dir, else why not. Permission bits alone do not
// say (root, read-only mounts, ACLs), so it creates and removes a file.
std::string cannot_create_in(const fs::path& dir) {
  const fs::path probe = dir / (".musetalk-write-test-" + std::to_string(::getpid()));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return std::strerror(errno);
  ::close(fd);
  ::unlink(probe.c_str());
  return "";
}

std::string seconds_text(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f s", s);
  return text;
}

}  // namespace

void check_output_file(const std::string& out, const std::string& audio,
                       const std::string& out_option, const std::string& audio_option) {
  const fs::path p(out);
  std::error_code ec;
  if (out.empty()) {
    throw Error(out_option, "is empty", "give the output file, e.g. " + out_option + " talk.mp4");
  }
  if (fs::is_directory(p, ec)) {
    throw Error(out, "is a folder; " + out_option + " names the MP4 file to write",
                "give a file name, e.g. " + out_option + " " + (p / "talk.mp4").string());
  }
  const std::string ext = p.extension().string();
  if (lower(ext) != ".mp4") {
    fs::path fixed = p;
    fixed.replace_extension(".mp4");
    throw Error(out,
                (ext.empty() ? std::string("has no extension") : "ends in " + ext) +
                    ", but the output is an MP4 file (H.264 video + AAC audio)",
                "name the output .mp4, e.g. " + out_option + " " + fixed.string());
  }
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec)) {
    throw Error(out, "its folder " + dir.string() + " does not exist",
                "create the folder or choose another " + out_option);
  }
  const std::string why = cannot_create_in(dir);
  if (!why.empty()) {
    throw Error(out, "cannot create files in its folder " + dir.string() + " (" + why + ")",
                "choose a folder you can write to, or change its permissions");
  }
  if (fs::exists(p, ec) && fs::equivalent(p, fs::path(audio), ec)) {
    throw Error(out, "is the " + audio_option + " file: the output would replace its own input",
                "choose another output name");
  }
}

void check_frames_dir(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    throw Error(dir, "already exists",
                "give --frames-dir a folder that does not exist yet (render creates it with one "
                "PNG per frame)");
  }
  const std::string staging = adapters::frames_staging_dir(dir);
  if (fs::exists(staging, ec)) {
    throw Error(staging,
                "already exists, where render would write the PNGs before renaming it to " + dir,
                "remove it (a render that was killed can leave it behind) or choose another "
                "--frames-dir");
  }
  // The nearest existing folder above it, where render creates it (and any missing parents).
  fs::path parent = fs::absolute(dir, ec).parent_path();
  while (!parent.empty() && !fs::exists(parent, ec) && parent != parent.root_path()) {
    parent = parent.parent_path();
  }
  if (!fs::is_directory(parent, ec)) {
    throw Error(dir, parent.string() + " is not a folder", "choose another --frames-dir");
  }
  const std::string why = cannot_create_in(parent);
  if (!why.empty()) {
    throw Error(dir, "cannot be created in " + parent.string() + " (" + why + ")",
                "choose a --frames-dir in a folder you can write to");
  }
}

void check_render_numbers(int crf, int batch, int threads, int fps) {
  if (crf < 0 || crf > 51) {
    throw Error("--crf " + std::to_string(crf),
                "out of range: H.264 quality runs from 0 (lossless) to 51",
                "use 0 to 51; 18 is visually lossless");
  }
  if (batch < 1) {
    throw Error("--batch " + std::to_string(batch), "must be at least 1",
                "use e.g. --batch 8 (frames per UNet call)");
  }
  if (threads < 0 || threads > kMaxThreads) {
    throw Error("--threads " + std::to_string(threads),
                "out of range: 0 (all cores) to " + std::to_string(kMaxThreads),
                "use 0, or the number of CPU threads to use");
  }
  if (fps < 0 || fps > kMaxFps) {
    throw Error("--fps " + std::to_string(fps),
                "out of range: render makes 1 to " + std::to_string(kMaxFps) + " frames per second",
                "use 1 to " + std::to_string(kMaxFps) + ", or leave it out for the avatar's rate");
  }
}

int render_fps(int option_fps, const avatar::Avatar& avatar) {
  if (option_fps > 0) return option_fps;
  if (avatar.fps < 1 || avatar.fps > kMaxFps) {
    throw Error(avatar.layout == "native" ? avatar.sources.face_boxes : avatar.root,
                "records " + std::to_string(avatar.fps) + " frames per second, outside 1 to " +
                    std::to_string(kMaxFps),
                "pass --fps, e.g. --fps 25");
  }
  return avatar.fps;
}

void check_audio_length(const media::AudioLength& audio, int fps) {
  const int64_t samples = audio.samples;
  if (audio::frame_count(samples, fps) > 0) return;
  const double frame = 1.0 / fps;
  throw Error(audio.path,
              "lasts " + seconds_text(samples / 16000.0) + ", shorter than one video frame (1/" +
                  std::to_string(fps) + " s = " + seconds_text(frame) + " at " +
                  std::to_string(fps) + " fps): there is nothing to render",
              "give audio at least " + seconds_text(frame) + " long");
}

UNetVersion render_version(const std::string& option, const avatar::Avatar& avatar,
                           std::string& warning) {
  warning.clear();
  UNetVersion chosen = UNetVersion::V15;
  if (!option.empty()) {
    try {
      chosen = parse_unet_version(option);
    } catch (const Error& e) {
      throw Error("--version " + option, e.problem(), e.fix());
    }
  }
  if (avatar.model_version_source.empty()) return chosen;  // the avatar records none
  UNetVersion recorded;
  try {
    recorded = parse_unet_version(avatar.model_version);
  } catch (const Error&) {
    if (!option.empty()) {
      warning = "warning: the avatar's model version \"" + avatar.model_version + "\" (" +
                avatar.model_version_source + ") is not one this program knows: ignored, using " +
                "--version " + option;
      return chosen;
    }
    throw Error(
        avatar.model_version_source,
        "records model version \"" + avatar.model_version + "\", which this program does not know",
        "pass --version v15 or --version v1");
  }
  if (option.empty()) return recorded;
  if (chosen != recorded) {
    warning = "warning: --version " + option + " contradicts the avatar's model version " +
              avatar.model_version + " (" + avatar.model_version_source +
              "): its latents and masks were made for the other UNet";
  }
  return chosen;
}

RenderDevice render_device(const std::string& device, const std::string& precision) {
  try {
    RenderDevice d{parse_device(device), torch::kFloat32};
    d.dtype = resolve_dtype(parse_precision(precision), d.device);
    return d;
  } catch (const Error& e) {
    // Core errors name the setting ("precision fp16"); here it is an option the user typed.
    const bool named = e.input().rfind("--", 0) == 0;
    throw Error(named ? e.input() : "--" + e.input(), e.problem(), e.fix());
  }
}

}  // namespace musetalk::tools
