// `musetalk render --avatar DIR --audio FILE --out OUT.mp4`: an avatar speaking an audio file,
// as H.264 + AAC. The MP4 appears only when the render completes; Ctrl-C or an error leaves no
// partial file.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "adapters/avatar_latents.h"
#include "adapters/file_adapters.h"
#include "avatar/avatar.h"
#include "commands.h"
#include "files/error.h"
#include "host/cpu_threads.h"
#include "media/audio_decoder.h"
#include "model/cpu_blas.h"
#include "model/model_set.h"
#include "model/runtime_options.h"
#include "pipeline/png_avatar_images.h"
#include "progress.h"
#include "render_inputs.h"
#include "stream/session_avatar.h"
#include "torch_io/state_dict.h"

namespace musetalk::tools {
namespace {

constexpr int kExitInterrupted = 130;

struct RenderOptions {
  std::string avatar, audio, out;
  std::string models = "models";
  std::string version;  // "": the avatar's, else v15
  int fps = 0;          // 0: the avatar's
  int batch = 8;
  std::string device = "auto";
  std::string precision = "auto";
  int crf = 18;
  int threads = 0;
  std::string frames_dir;
  bool quiet = false;
};

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) {
  g_interrupted = true;
}

void say(bool quiet, const char* format, const std::string& text) {
  if (!quiet) std::fprintf(stderr, format, text.c_str());
}

int render_command(const RenderOptions& o) {
  // Every check that needs no model first (render_inputs.h), so a typo or a wrong file fails
  // before minutes of model loading rather than after them.
  const RenderDevice run_on = render_device(o.device, o.precision);
  const torch::Device device = run_on.device;
  const torch::ScalarType dtype = run_on.dtype;
  check_render_numbers(o.crf, o.batch, o.threads, o.fps);
  check_output_file(o.out, o.audio);
  check_frames_dir(o.frames_dir);
  host::set_cpu_threads(o.threads);
  const std::string blas_warning = device.is_cpu() ? reference_blas_warning() : "";
  if (!blas_warning.empty()) say(o.quiet, "%s\n", blas_warning);

  avatar::Avatar avatar = avatar::load_avatar(o.avatar);
  std::string version_warning;
  const UNetVersion version = render_version(o.version, avatar, version_warning);
  if (!version_warning.empty()) std::fprintf(stderr, "%s\n", version_warning.c_str());
  const int fps = render_fps(o.fps, avatar);
  // Decoded once here to check its length and again while rendering, never held whole: memory
  // does not grow with the clip.
  const media::AudioLength audio = media::measure_audio_16k_mono(o.audio);
  check_audio_length(audio, fps);
  if (avatar.frame_width % 2 || avatar.frame_height % 2) {
    std::fprintf(stderr,
                 "note: the avatar's frames are %dx%d; H.264 needs even sides, so the video is "
                 "%dx%d, its last column or row repeated\n",
                 avatar.frame_width, avatar.frame_height,
                 avatar.frame_width + avatar.frame_width % 2,
                 avatar.frame_height + avatar.frame_height % 2);
  }
  const ModelPaths model_paths = ModelPaths::in(o.models, version);
  // An avatar without latents needs the VAE encoder, which a set exported for render or stream
  // leaves out: said now, not after the models have loaded.
  if (!avatar.has_latents()) require_vae_encoder(model_paths);
  say(o.quiet, "loading models from %s\n", o.models);
  ModelSet models = load_model_set(model_paths, device, dtype);

  if (!avatar.has_latents()) {
    say(o.quiet, "%s has no latents.safetensors: making them with the VAE\n", o.avatar);
    Progress latent_progress("latents", o.quiet);
    torch::Tensor latents = adapters::make_avatar_latents(
        models.vae, models.vae_config.scaling_factor, avatar, o.batch,
        [&](int64_t done, int64_t total) { latent_progress.update(done, total); });
    latent_progress.finish();
    avatar.latents = to_file_tensor(latents);
  }

  pipeline::RenderSettings settings;
  settings.fps = fps;
  settings.batch = o.batch;
  // Each PNG decoded once and kept on the device when the avatar fits the budget
  // (stream/session_avatar.h); a larger one is read frame by frame.
  std::unique_ptr<pipeline::AvatarImages> images;
  if (stream::SessionAvatar::decoded_bytes(avatar) <= stream::kDefaultAvatarBudgetBytes) {
    pipeline::PngAvatarImages files(avatar, torch::kCPU);
    images = std::make_unique<stream::DecodedAvatarImages>(stream::SessionAvatar::load(
        avatar, files, to_torch(avatar.latents), device, dtype, device));
  } else {
    images = std::make_unique<pipeline::PngAvatarImages>(avatar, device);
  }
  adapters::VideoFileSink sink(o.out, avatar.frame_width, avatar.frame_height, settings.fps, o.crf,
                               o.audio, o.frames_dir);

  adapters::AudioFileSource voice(o.audio, audio.samples);
  Progress progress("render", o.quiet);
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  pipeline::RenderStats stats = pipeline::render(
      models, avatar, *images, voice, settings, sink,
      [&](int64_t done, int64_t total) { progress.update(done, total); }, &g_interrupted);
  progress.finish();
  if (g_interrupted) {
    std::fprintf(stderr, "interrupted: no output written\n");
    return kExitInterrupted;  // the sink's destructor removes the partial files
  }
  sink.finish();

  if (!o.quiet) {
    auto rate = [&](double s) { return s > 0 ? stats.frames / s : 0.0; };
    std::fprintf(stderr,
                 "wrote %s: %lld frames at %d fps in %.1f s (%.2f fps)\n"
                 "  features %.2f s, generation %.1f s (%.2f fps), compositing %.1f s (%.1f fps), "
                 "encoding %.1f s (%.1f fps)\n",
                 o.out.c_str(), static_cast<long long>(stats.frames), settings.fps, stats.total_s,
                 rate(stats.total_s), stats.features_s, stats.generation_s,
                 rate(stats.generation_s), stats.compositing_s, rate(stats.compositing_s),
                 stats.sink_s, rate(stats.sink_s));
  }
  return 0;
}

}  // namespace

const char* const kRenderMemoryFix =
    "use a smaller --batch, a lower --precision (fp16 on CUDA, bf16 on the CPU) or a device "
    "with more free memory";

void add_render_command(CLI::App& app, CommandRunner& run) {
  auto o = std::make_shared<RenderOptions>();
  CLI::App* cmd = app.add_subcommand("render", "Render an avatar speaking an audio file to MP4");
  cmd->add_option("--avatar", o->avatar, "Avatar folder (native or upstream layout)")->required();
  cmd->add_option("--audio", o->audio, "Audio or video file with the speech")->required();
  cmd->add_option("--out", o->out, "Output MP4 (H.264 + AAC)")->required();
  cmd->add_option("--models", o->models, "Models folder (models/README.md)")->capture_default_str();
  cmd->add_option("--version", o->version,
                  "UNet version: v15 or v1 (default: the avatar's when it records one, else v15)");
  cmd->add_option("--fps", o->fps, "Frames per second (default: the avatar's)");
  cmd->add_option("--batch", o->batch, "Frames per UNet/VAE call")->capture_default_str();
  cmd->add_option("--device", o->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--precision", o->precision, "auto (fp16 on CUDA, fp32 on CPU), fp32, fp16, bf16")
      ->capture_default_str();
  cmd->add_option("--crf", o->crf, "H.264 quality, 0 (lossless) to 51")->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (0: all cores)")->capture_default_str();
  cmd->add_option("--frames-dir", o->frames_dir, "Also write every frame as a lossless PNG here");
  cmd->add_flag("--quiet", o->quiet, "No progress or summary");
  cmd->callback([&run, o] { run = [o] { return render_command(*o); }; });
}

}  // namespace musetalk::tools
