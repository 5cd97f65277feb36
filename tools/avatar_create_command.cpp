// `musetalk avatar create --video FILE --out DIR`: an avatar from a video of a face (MuseTalk
// scripts/realtime_inference.py Avatar.prepare_material), with a progress bar per stage and a
// summary of the frames kept and dropped. Ctrl-C or an error leaves nothing behind.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <locale>
#include <map>
#include <memory>
#include <sstream>

#include <unistd.h>

#include "commands.h"
#include "create/avatar_creator.h"
#include "files/error.h"
#include "host/cpu_threads.h"
#include "model/cpu_blas.h"
#include "progress.h"
#include "render_inputs.h"

namespace musetalk::tools {
namespace {

constexpr int kExitInterrupted = 130;
constexpr size_t kListedFrames = 10;  // dropped frames and warnings listed one by one

struct CreateCommandOptions {
  std::string video, out;
  std::string models = "models";
  std::string version = "v15";
  int bbox_shift = 0;
  std::string parsing_mode;  // "": jaw for v15, raw for v1 (upstream's choice per version)
  int cheek_width = 90;
  bool cheek_width_given = false;
  int fps = 25;
  double start = 0, duration = 0;
  bool duration_given = false;
  std::string box;
  bool box_given = false;
  std::string device = "auto";
  std::string precision = "auto";
  int batch = 8;
  int threads = 0;
  bool quiet = false;
};

std::atomic<bool> g_interrupted{false};

// The first Ctrl-C stops at the next progress step (the working files are removed); a second one
// ends the process at once.
extern "C" void on_create_interrupt(int) {
  g_interrupted = true;
  static const char kNote[] = "\nstopping after the current step (Ctrl-C again to quit now)\n";
  (void)!::write(STDERR_FILENO, kNote, sizeof kNote - 1);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

// Thrown from the progress callback after Ctrl-C: unwinding removes the working files.
struct Interrupted {};

// "x1,y1,x2,y2" in pixels.
avatar::Box parse_box(const std::string& text) {
  std::istringstream in(text);
  in.imbue(std::locale::classic());
  avatar::Box b;
  char c1 = 0, c2 = 0, c3 = 0;
  if (!(in >> b.x1 >> c1 >> b.y1 >> c2 >> b.x2 >> c3 >> b.y2) || c1 != ',' || c2 != ',' ||
      c3 != ',' || !(in >> std::ws).eof()) {
    throw Error("--box " + text, "is not four whole numbers x1,y1,x2,y2",
                "give the face box in frame pixels, e.g. --box 180,300,520,700");
  }
  return b;
}

create::CreateOptions resolve(const CreateCommandOptions& o) {
  create::CreateOptions c;
  c.video = o.video;
  c.out = o.out;
  c.models_dir = o.models;
  try {
    c.version = parse_unet_version(o.version);
  } catch (const Error& e) {
    throw Error("--version " + o.version, "is not a MuseTalk version", "use v15 or v1");
  }
  c.bbox_shift = o.bbox_shift;
  c.parsing_mode =
      o.parsing_mode.empty()
          ? (c.version == UNetVersion::V15 ? media::ParsingMode::Jaw : media::ParsingMode::Raw)
          : media::parse_parsing_mode(o.parsing_mode, "--parsing-mode");
  if (o.cheek_width_given && c.parsing_mode != media::ParsingMode::Jaw) {
    throw Error("--cheek-width " + std::to_string(o.cheek_width),
                std::string("applies to --parsing-mode jaw only, not ") +
                    media::parsing_mode_name(c.parsing_mode),
                "leave --cheek-width out, or add --parsing-mode jaw");
  }
  c.cheek_width = o.cheek_width;
  c.fps = o.fps;
  c.start_s = o.start;
  c.duration_s = o.duration;
  if (o.duration_given && !(o.duration > 0)) {
    throw Error("--duration", "must be more than 0 seconds",
                "give the length in seconds, or leave --duration out for the rest of the video");
  }
  if (o.box_given) c.box = parse_box(o.box);
  const RenderDevice run_on = render_device(o.device, o.precision);
  c.device = run_on.device;
  c.dtype = run_on.dtype;
  c.batch = o.batch;
  return c;
}

void print_video(const media::VideoInfo& v, const create::CreateOptions& c) {
  std::fprintf(stderr, "%s: %dx%d, %s", c.video.c_str(), v.width, v.height, v.codec.c_str());
  if (v.still_image) {
    std::fprintf(stderr, ", a still image: a one-frame avatar\n");
    return;
  }
  std::fprintf(stderr, ", %.2f fps%s, %.2f s\n", v.source_fps,
               v.variable_frame_rate ? " (variable)" : "", v.duration_s);
  if (v.rotation_degrees != 0) {
    std::fprintf(stderr,
                 "note: the video is stored turned; its rotation metadata (%d degrees) "
                 "is applied, so the avatar is upright\n",
                 v.rotation_degrees);
  }
  if (v.variable_frame_rate || std::abs(v.source_fps - c.fps) > 1e-3) {
    std::fprintf(stderr,
                 "note: resampling the video to %d fps on its timestamps (MuseTalk works at 25 "
                 "fps; frames are repeated or dropped to keep the timing)\n",
                 c.fps);
  }
}

void print_frame_notes(const create::CreateSummary& s) {
  size_t dropped = 0, warned = 0;
  for (const create::FrameReport& r : s.frames) {
    if (!r.dropped.empty() && ++dropped <= kListedFrames) {
      std::fprintf(stderr, "  dropped frame %lld (%.2f s): %s\n", static_cast<long long>(r.index),
                   r.time_s, r.dropped.c_str());
    }
    for (const std::string& w : r.warnings) {
      if (++warned <= kListedFrames) {
        std::fprintf(stderr, "  warning, frame %lld (%.2f s): %s\n",
                     static_cast<long long>(r.index), r.time_s, w.c_str());
      }
    }
  }
  if (dropped > kListedFrames) {
    std::fprintf(stderr, "  ... and %zu more dropped frames (avatar.json lists them all)\n",
                 dropped - kListedFrames);
  }
  if (warned > kListedFrames) {
    std::fprintf(stderr, "  ... and %zu more warnings\n", warned - kListedFrames);
  }
}

std::string per_frame(double seconds, size_t frames) {
  char text[64];
  std::snprintf(text, sizeof text, "%.1f s (%.3f s/frame)", seconds,
                frames ? seconds / static_cast<double>(frames) : 0.0);
  return text;
}

// A damaged or cut file can stop decoding early (FFmpeg logs why): say where it ended.
void note_early_end(const create::CreateSummary& s, const create::CreateOptions& c) {
  const media::VideoInfo& v = s.video;
  if (v.still_image || v.duration_s <= 0) return;
  const double wanted =
      c.duration_s > 0 ? std::min(c.start_s + c.duration_s, v.duration_s) : v.duration_s;
  const double got = c.start_s + static_cast<double>(s.frames.size()) / c.fps;
  if (wanted - got > 0.5) {
    std::fprintf(stderr,
                 "note: the video's frames ended at %.2f s, before %.2f s: the file may be "
                 "damaged or cut short\n",
                 got, wanted);
  }
}

void print_summary(const create::CreateSummary& s, const create::CreateOptions& c) {
  note_early_end(s, c);
  const size_t read = s.frames.size();
  std::fprintf(stderr, "wrote %s: %lld of %zu frames kept (a cycle of %lld), %lld dropped\n",
               s.out.c_str(), static_cast<long long>(s.kept), read,
               static_cast<long long>(2 * s.kept), static_cast<long long>(read - s.kept));
  if (static_cast<int64_t>(read) > s.kept) {
    std::fprintf(stderr,
                 "  frames without a usable face are left out of the cycle (frame, mask and latent "
                 "together, so nothing shifts)\n");
  }
  print_frame_notes(s);
  std::map<std::string, int> sources;
  for (const create::FrameReport& r : s.frames) {
    if (r.dropped.empty()) ++sources[r.box_source];
  }
  std::string from;
  for (const auto& [source, count] : sources) {
    from += (from.empty() ? "" : ", ") + std::to_string(count) + " " + source;
  }
  std::fprintf(stderr, "  face boxes: %s\n", from.c_str());
  if (s.bbox_shift_range && s.bbox_shift_range->frames > 0) {
    std::fprintf(
        stderr, "  bbox_shift: adjustable range [ -%d ~ %d ], the current value: %d%s\n",
        s.bbox_shift_range->minus, s.bbox_shift_range->plus,
        c.version == UNetVersion::V15 ? 0 : c.bbox_shift,
        c.version == UNetVersion::V15 ? " (v1.5 fixes it at 0; --version v1 uses it)" : "");
  }
  const create::StageSeconds& t = s.seconds;
  const std::string found =
      c.box ? std::string("detect and landmarks skipped (--box)")
            : "detect " + per_frame(t.detect, read) + ", landmarks " + per_frame(t.landmarks, read);
  std::fprintf(stderr, "  time: decode %s, %s, parsing %s, latents %s\n",
               per_frame(t.decode, read).c_str(), found.c_str(),
               per_frame(t.parsing, s.kept).c_str(), per_frame(t.latents, 2 * s.kept).c_str());
  std::fprintf(stderr, "  preview: %s (crop box blue, face box green, mask red)\n",
               s.preview.c_str());
}

int create_command(const CreateCommandOptions& o) {
  const create::CreateOptions checked_options = resolve(o);
  if (o.threads < 0) {
    throw Error("--threads " + std::to_string(o.threads), "is negative",
                "give 0 (all cores) or a number of threads");
  }
  // Every check that needs no model first: a typo fails in a second, not after model loading.
  const create::CreatePlan plan = create::check_create_inputs(checked_options);
  host::set_cpu_threads(o.threads);
  if (!o.quiet) print_video(plan.video, checked_options);

  create::CreateOptions run = checked_options;
  std::map<std::string, std::unique_ptr<Progress>> bars;
  run.progress = [&](const std::string& stage, int64_t done, int64_t total) {
    if (g_interrupted) throw Interrupted{};
    std::unique_ptr<Progress>& bar = bars[stage];
    if (!bar) bar = std::make_unique<Progress>(stage, o.quiet);
    bar->update(done, total);
  };
  std::signal(SIGINT, on_create_interrupt);
  std::signal(SIGTERM, on_create_interrupt);
  try {
    const create::CreateSummary summary = create::create_avatar(run, plan);
    bars.clear();
    if (!o.quiet) print_summary(summary, run);
  } catch (const Interrupted&) {
    bars.clear();
    std::fprintf(stderr, "interrupted: no avatar written\n");
    return kExitInterrupted;
  }
  return 0;
}

}  // namespace

void add_avatar_create_command(CLI::App& avatar, CommandRunner& run) {
  auto o = std::make_shared<CreateCommandOptions>();
  CLI::App* cmd = avatar.add_subcommand(
      "create", "Make an avatar from a video (or one image) of a face: face boxes, masks, latents");
  cmd->add_option("--video", o->video, "Video file (any format FFmpeg reads) or an image")
      ->required();
  cmd->add_option("--out", o->out, "New avatar folder (must not exist)")->required();
  cmd->add_option("--version", o->version, "MuseTalk version the avatar is for: v15 or v1")
      ->capture_default_str();
  cmd->add_option("--bbox-shift", o->bbox_shift,
                  "v1 only: move the mask's upper edge down (+) or up (-), in pixels")
      ->capture_default_str();
  cmd->add_option("--parsing-mode", o->parsing_mode,
                  "Mask: jaw (v15 default), raw (v1 default) or neck");
  CLI::Option* cheek_width =
      cmd->add_option("--cheek-width", o->cheek_width,
                      "jaw mask: cheek inset from the centre, 0-256 px of the parsing map")
          ->capture_default_str();
  cmd->add_option("--fps", o->fps, "Avatar frame rate, 1-120; the video is resampled to it")
      ->capture_default_str();
  cmd->add_option("--start", o->start, "Start of the part of the video to use, seconds")
      ->capture_default_str();
  CLI::Option* duration = cmd->add_option("--duration", o->duration,
                                          "Length of that part, seconds (default: to the end)");
  CLI::Option* box = cmd->add_option(
      "--box", o->box,
      "Face box x1,y1,x2,y2 for every frame, used as given: skips face detection (stylised "
      "faces)");
  cmd->add_option("--models", o->models, "Models folder (models/README.md)")->capture_default_str();
  cmd->add_option("--device", o->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--precision", o->precision, "auto (fp16 on CUDA, fp32 on CPU), fp32, fp16, bf16")
      ->capture_default_str();
  cmd->add_option("--batch", o->batch, "Frames per network call, 1-256")->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (0: all cores)")->capture_default_str();
  cmd->add_flag("--quiet", o->quiet, "No progress or summary");
  cmd->callback([&run, o, cheek_width, duration, box] {
    o->cheek_width_given = cheek_width->count() > 0;
    o->duration_given = duration->count() > 0;
    o->box_given = box->count() > 0;
    run = [o] { return create_command(*o); };
  });
}

}  // namespace musetalk::tools
