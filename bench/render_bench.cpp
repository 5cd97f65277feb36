// render_bench: the whole offline render on the real configurations (musetalk.json v1.5,
// sd-vae-ft-mse, whisper-tiny) with synthetic weights, through the same code as `musetalk
// render`: the avatar's latents made with the VAE when it has none, audio features, UNet + VAE
// per batch, compositing and H.264 + AAC into a temporary MP4. Prints frames per second end to
// end, the generation cost, and the non-network cost per frame (features, compositing,
// encoding), which must never be what limits a GPU run.
//
//   render_bench [--avatar data/sample/avatar] [--audio data/sample/voice.wav] [--device auto]
//                [--precision auto] [--batch 8] [--threads N] [--json FILE]
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "adapters/avatar_latents.h"
#include "adapters/file_adapters.h"
#include "avatar/avatar.h"
#include "bench_common.h"
#include "files/error.h"
#include "files/json_file.h"
#include "host/cpu_threads.h"
#include "media/audio_decoder.h"
#include "media/ffmpeg_util.h"
#include "model/cpu_blas.h"
#include "model/model_set.h"
#include "model/runtime_options.h"
#include "pipeline/png_avatar_images.h"
#include "pipeline/render_pipeline.h"
#include "torch_io/state_dict.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string avatar = "data/sample/avatar";
  std::string audio = "data/sample/voice.wav";
  std::string device = "auto";
  std::string precision = "auto";
  int batch = 8;
  int threads = 0;
  std::string allocator = "caching";
  int blas_threads = 0;
  std::string json_path;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int run(const Options& o) {
  const torch::Device device = parse_device(o.device);
  const torch::ScalarType dtype = resolve_dtype(parse_precision(o.precision), device);
  bench::use_allocator(o.allocator);
  host::set_cpu_threads(o.threads, o.blas_threads);
  media::log_errors_only();
  if (device.is_cpu()) {
    const std::string warning = reference_blas_warning();
    if (!warning.empty()) std::fprintf(stderr, "%s\n", warning.c_str());
  }

  avatar::Avatar avatar = avatar::load_avatar(o.avatar);
  const media::DecodedAudio audio = media::decode_audio_16k_mono(o.audio);
  ModelSet models = synthetic_model_set(device, dtype);

  Clock::time_point start = Clock::now();
  double latents_s = 0;
  if (!avatar.has_latents()) {
    torch::Tensor latents = adapters::make_avatar_latents(
        models.vae, models.vae_config.scaling_factor, avatar, o.batch, nullptr);
    avatar.latents = to_file_tensor(latents);
    latents_s = seconds_since(start);
  }

  const fs::path out = fs::temp_directory_path() / "musetalk-render-bench.mp4";
  pipeline::RenderSettings settings;
  settings.fps = avatar.fps;
  settings.batch = o.batch;
  pipeline::PngAvatarImages images(avatar, device);
  pipeline::RenderStats stats;
  {
    adapters::VideoFileSink sink(out.string(), avatar.frame_width, avatar.frame_height,
                                 settings.fps, 18, o.audio, "");
    stats = pipeline::render(models, avatar, images, audio.samples, settings, sink, nullptr);
    const Clock::time_point t0 = Clock::now();
    sink.finish();
    stats.sink_s += seconds_since(t0);
  }
  fs::remove(out);

  const double frames = static_cast<double>(stats.frames);
  auto ms_per_frame = [&](double s) { return frames > 0 ? 1000.0 * s / frames : 0.0; };
  const double non_network_ms = ms_per_frame(stats.features_s) + ms_per_frame(stats.compositing_s) +
                                ms_per_frame(stats.sink_s);
  const std::string where = device.str() + " " + std::string(c10::toString(dtype)) + ", " +
                            std::to_string(torch::get_num_threads()) + " threads, batch " +
                            std::to_string(o.batch);
  std::printf("render_bench: %s, %lld frames of %dx%d at %d fps (%.2f s of audio), %s\n",
              o.avatar.c_str(), static_cast<long long>(stats.frames), avatar.frame_width,
              avatar.frame_height, settings.fps, audio.duration_s, where.c_str());
  if (latents_s > 0) {
    std::printf("  avatar latents (once per avatar): %.1f s for %zu cycle frames\n", latents_s,
                avatar.frame_count());
  }
  std::printf("  end to end:       %8.1f s  %8.2f frames/s\n", stats.total_s,
              frames / stats.total_s);
  std::printf("  generation:       %8.1f ms/frame (UNet + VAE decode)\n",
              ms_per_frame(stats.generation_s));
  std::printf("  features:         %8.2f ms/frame\n", ms_per_frame(stats.features_s));
  std::printf("  compositing:      %8.2f ms/frame (PNG reads, resize, paste)\n",
              ms_per_frame(stats.compositing_s));
  std::printf("  encoding:         %8.2f ms/frame (H.264 + AAC mux)\n", ms_per_frame(stats.sink_s));
  std::printf("  non-network:      %8.2f ms/frame = %.0f frames/s if run one after another\n",
              non_network_ms, 1000.0 / non_network_ms);

  nlohmann::ordered_json json = bench::run_settings(device, dtype);
  json["batch"] = o.batch;
  json["frames"] = stats.frames;
  json["frame_size"] =
      std::to_string(avatar.frame_width) + "x" + std::to_string(avatar.frame_height);
  json["latents_s"] = latents_s;
  json["total_s"] = stats.total_s;
  json["frames_per_second"] = frames / stats.total_s;
  json["generation_ms_per_frame"] = ms_per_frame(stats.generation_s);
  json["features_ms_per_frame"] = ms_per_frame(stats.features_s);
  json["compositing_ms_per_frame"] = ms_per_frame(stats.compositing_s);
  json["encoding_ms_per_frame"] = ms_per_frame(stats.sink_s);
  json["non_network_ms_per_frame"] = non_network_ms;
  if (!o.json_path.empty()) std::ofstream(o.json_path) << json.dump(2) << "\n";
  return 0;
}

}  // namespace
}  // namespace musetalk

int main(int argc, char** argv) {
  musetalk::Options o;
  CLI::App app{"The whole render on the real configurations (synthetic weights)"};
  app.add_option("--avatar", o.avatar, "Avatar folder")->capture_default_str();
  app.add_option("--audio", o.audio, "Speech file")->capture_default_str();
  app.add_option("--device", o.device, "auto, cpu, cuda, cuda:N")->capture_default_str();
  app.add_option("--precision", o.precision, "auto, fp32, fp16, bf16")->capture_default_str();
  app.add_option("--batch", o.batch, "Frames per UNet/VAE call")->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads (0: all cores)")->capture_default_str();
  app.add_option("--allocator", o.allocator, "CPU tensor allocator: caching or system")
      ->capture_default_str();
  app.add_option("--blas-threads", o.blas_threads, "OpenBLAS threads (0: as --threads)")
      ->capture_default_str();
  app.add_option("--json", o.json_path, "Also write the results as JSON to this file");
  CLI11_PARSE(app, argc, argv);
  return musetalk::bench::report_errors([&] { return musetalk::run(o); });
}
