// stream_bench: the live session (stream/stream_session.h) on the real configurations
// (musetalk.json v1.5, sd-vae-ft-mse, whisper-tiny) with synthetic weights.
//
//   --measure hop-cost   the compute of one hop at minute 1 and at minute 60 of one stream (the
//                        hour between is silence, shown as idle frames), and their ratio: a
//                        sliding window costs the same whatever the stream's length.
//   --measure budget     the latency budget of a hop: lookahead, the hop's span, features, UNet +
//                        VAE, compositing and the output (an MP4 file), per hop and per frame.
//   --measure lookahead  the audio features of a speech clip streamed with each lookahead and
//                        left context, against the offline features of the same clip: the table
//                        behind the defaults.
//
//   stream_bench --measure hop-cost|budget|lookahead [--avatar data/sample/avatar]
//                [--audio data/sample/voice.wav] [--device auto] [--precision auto]
//                [--batch 4] [--lookahead-ms 200] [--context-ms 2000] [--speech-s 0.48]
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "adapters/avatar_latents.h"
#include "audio/audio_features.h"
#include "avatar/avatar.h"
#include "bench_common.h"
#include "live/mp4_output.h"
#include "media/audio_decoder.h"
#include "media/ffmpeg_util.h"
#include "model/model_set.h"
#include "model/runtime_options.h"
#include "pipeline/png_avatar_images.h"
#include "stream/sliding_features.h"
#include "stream/stream_session.h"

namespace musetalk {
namespace {

namespace fs = std::filesystem;

struct Options {
  std::string measure = "hop-cost";
  std::string avatar = "data/sample/avatar";
  std::string audio = "data/sample/voice.wav";
  std::string device = "auto";
  std::string precision = "auto";
  int batch = 4;
  int lookahead_ms = 200;
  int context_ms = 20000;
  double speech_s = 0.48;
  int threads = 0;
};

class CountingOutput : public stream::FrameOutput {
 public:
  void write(const stream::FrameView&) override { ++frames; }
  int64_t frames = 0;
};

std::shared_ptr<const stream::SessionAvatar> load_avatar(const std::string& path,
                                                         ModelSet& models) {
  avatar::Avatar avatar = avatar::load_avatar(path);
  torch::InferenceMode inference;
  torch::Tensor latents = avatar.has_latents()
                              ? to_torch(avatar.latents)
                              : adapters::make_avatar_latents(
                                    models.vae, models.vae_config.scaling_factor, avatar, 4, {});
  pipeline::PngAvatarImages images(avatar, torch::kCPU);
  return stream::SessionAvatar::load(avatar, images, latents, models.device, models.dtype,
                                     models.device);
}

stream::StreamSettings settings_for(const Options& o) {
  stream::StreamSettings s;
  s.realtime = false;
  s.batch = o.batch;
  s.features.lookahead_ms = o.lookahead_ms;
  s.features.left_context_ms = o.context_ms;
  return s;
}

// Speech-like noise: every sample above the voice-activity threshold.
std::vector<float> noise(double seconds, unsigned seed) {
  std::minstd_rand gen(seed);
  std::uniform_real_distribution<float> amplitude(-0.3f, 0.3f);
  std::vector<float> v(static_cast<size_t>(seconds * 16000));
  for (float& s : v) s = amplitude(gen);
  return v;
}

int hop_cost(const Options& o, ModelSet& models) {
  std::vector<std::pair<int64_t, double>> hops;  // first frame, ms
  stream::StreamSettings settings = settings_for(o);
  settings.after_hop = [&](int64_t first, double ms) { hops.push_back({first, ms}); };
  stream::SteadyClock clock;
  stream::StreamSession session(models, load_avatar(o.avatar, models), settings, clock);
  // Speech from 0:60, then (a jump in the timestamps: an hour of silence, idle frames) from
  // 59:60 on; one second of silence after each so the voice detector hands back to idle.
  const std::vector<float> speech = noise(o.speech_s, 1);
  const std::vector<float> second(16000, 0.0f);
  const int64_t minute = int64_t{60} * stream::kNanosPerSecond;
  // The input ring holds 40 s: the second part is pushed once the first has been shown.
  std::thread feeder([&] {
    session.push_audio(0, second.data(), second.size());
    for (int64_t at : {minute, 60 * minute}) {
      while (at > minute && session.stats().frames < static_cast<int64_t>((60 + o.speech_s) * 25)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      session.push_audio(at - stream::kNanosPerSecond, second.data(), second.size());
      session.push_audio(at, speech.data(), speech.size());
      session.push_audio(at + static_cast<int64_t>(o.speech_s * 1e9), second.data(), second.size());
    }
    session.end_of_input();
  });
  CountingOutput out;
  const stream::StreamStats stats = session.run(out);
  feeder.join();
  double sum[2] = {0, 0};
  int count[2] = {0, 0};
  for (auto [first, ms] : hops) {
    const int at_end = first > 30 * 60 * 25 ? 1 : 0;
    sum[at_end] += ms;
    ++count[at_end];
  }
  std::printf("frames %lld (speech %lld, idle %lld) over %.1f min of stream\n",
              static_cast<long long>(out.frames), static_cast<long long>(stats.speech),
              static_cast<long long>(stats.idle), out.frames / 25.0 / 60.0);
  if (count[0] == 0 || count[1] == 0) {
    throw Error("stream_bench", "no hop ran at one of the two minutes", "raise --speech-s");
  }
  const double m1 = sum[0] / count[0], m60 = sum[1] / count[1];
  std::printf("| hop (batch %d) | minute 1 | minute 60 | ratio |\n| --- | ---: | ---: | ---: |\n",
              o.batch);
  std::printf("| ms per hop | %.1f (%d hops) | %.1f (%d hops) | %.3f |\n", m1, count[0], m60,
              count[1], m60 / m1);
  return 0;
}

int budget(const Options& o, ModelSet& models) {
  stream::StreamSettings settings = settings_for(o);
  stream::SteadyClock clock;
  stream::StreamSession session(models, load_avatar(o.avatar, models), settings, clock);
  const std::vector<float> speech = noise(o.speech_s, 2);
  session.push_audio(0, speech.data(), speech.size());
  session.end_of_input();
  const fs::path mp4 = fs::temp_directory_path() / "stream_bench.mp4";
  live::Mp4Output out(mp4.string());
  const stream::StreamStats s = session.run(out);
  fs::remove(mp4);
  const double hop_span = (o.batch - 1) * 1000.0 / settings.features.fps;
  const double output_hop = s.output_ms * o.batch;
  std::printf("hops %lld of %d frames\n", static_cast<long long>(s.hops), o.batch);
  std::printf("| part | ms |\n| --- | ---: |\n");
  std::printf("| lookahead (right context) | %d |\n", o.lookahead_ms);
  std::printf("| hop span (first frame waits for the last one's audio) | %.0f |\n", hop_span);
  std::printf("| features (log-mel + Whisper, one 30 s window) | %.1f |\n", s.features_ms);
  std::printf("| UNet + VAE decode | %.1f |\n", s.networks_ms);
  std::printf("| compositing | %.1f |\n", s.compositing_ms);
  std::printf("| output (MP4 encode, %d frames) | %.1f |\n", o.batch, output_hop);
  std::printf("| total, audio in to frame out | %.0f |\n",
              o.lookahead_ms + hop_span + s.hop_ms + output_hop);
  return 0;
}

int lookahead_table(const Options& o, ModelSet& models) {
  std::vector<float> voice = media::decode_audio_16k_mono(o.audio).samples;
  const auto n = static_cast<int64_t>(voice.size());
  torch::InferenceMode inference;
  torch::Tensor samples = torch::from_blob(voice.data(), {n}, torch::kFloat32);
  const int fps = 25;
  const int64_t frames = audio::frame_count(n, fps);
  const torch::Tensor offline =
      audio::frame_windows(audio::whisper_hidden_states(models.whisper, samples), n, fps)
          .to(torch::kFloat32);
  const double scale = offline.abs().mean().item<double>();
  stream::AudioRing ring(static_cast<size_t>(n));
  ring.push(0, voice.data(), voice.size());
  ring.close();
  std::printf(
      "clip %s, %.1f s; relative difference of the UNet's audio prompt from offline "
      "(mean |d| / mean |offline|, max |d| / mean |offline|)\n",
      o.audio.c_str(), n / 16000.0);
  std::printf(
      "| lookahead ms \\ left context ms | 500 | 2000 | 8000 |\n| ---: | ---: | ---: | ---: |\n");
  for (int lookahead : {120, 200, 320, 520, 1000}) {
    std::printf("| %d |", lookahead);
    for (int context : {500, 2000, 8000}) {
      stream::SlidingFeatureSettings fs_settings;
      fs_settings.fps = fps;
      fs_settings.lookahead_ms = lookahead;
      fs_settings.left_context_ms = context;
      stream::SlidingFeatures features(models.whisper, fs_settings, o.batch);
      std::vector<torch::Tensor> parts;
      for (int64_t f = 0; f < frames; f += o.batch) {
        const int64_t count = std::min<int64_t>(o.batch, frames - f);
        parts.push_back(features.windows(ring, f, count, n).to(torch::kFloat32));
      }
      const torch::Tensor d = (torch::cat(parts, 0) - offline).abs();
      std::printf(" %.3f / %.2f |", d.mean().item<double>() / scale,
                  d.max().item<double>() / scale);
      std::fflush(stdout);
    }
    std::printf("\n");
  }
  return 0;
}

int run(const Options& o) {
  const torch::Device device = parse_device(o.device);
  const torch::ScalarType dtype = resolve_dtype(parse_precision(o.precision), device);
  bench::use_allocator("caching");
  host::set_cpu_threads(o.threads);
  media::log_errors_only();
  ModelSet models = synthetic_model_set(device, dtype);
  std::printf("%s\n", bench::run_settings(device, dtype).dump().c_str());
  if (o.measure == "hop-cost") return hop_cost(o, models);
  if (o.measure == "budget") return budget(o, models);
  if (o.measure == "lookahead") return lookahead_table(o, models);
  throw Error("--measure " + o.measure, "unknown", "use hop-cost, budget or lookahead");
}

}  // namespace
}  // namespace musetalk

int main(int argc, char** argv) {
  musetalk::Options o;
  CLI::App app{"stream_bench: the live session's hop cost, latency budget and lookahead table"};
  app.add_option("--measure", o.measure, "hop-cost, budget or lookahead")->capture_default_str();
  app.add_option("--avatar", o.avatar)->capture_default_str();
  app.add_option("--audio", o.audio, "Speech clip for --measure lookahead")->capture_default_str();
  app.add_option("--device", o.device)->capture_default_str();
  app.add_option("--precision", o.precision)->capture_default_str();
  app.add_option("--batch", o.batch, "Frames per hop")->capture_default_str();
  app.add_option("--lookahead-ms", o.lookahead_ms)->capture_default_str();
  app.add_option("--context-ms", o.context_ms)->capture_default_str();
  app.add_option("--speech-s", o.speech_s, "Seconds of speech per measurement")
      ->capture_default_str();
  app.add_option("--threads", o.threads)->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return musetalk::bench::report_errors([&] { return musetalk::run(o); });
}
