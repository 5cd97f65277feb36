// `musetalk stream --avatar DIR`: the avatar speaking a live voice (a microphone) or a file fed at
// real-time pace, into a window, a V4L2 virtual camera and/or an MP4 file, with the voice played
// back delayed by the video's latency. Ctrl-C (or closing the window) stops cleanly: the MP4 is
// finished and every thread joined.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "adapters/avatar_latents.h"
#include "avatar/avatar.h"
#include "commands.h"
#include "files/error.h"
#include "host/cpu_threads.h"
#include "live/audio_devices.h"
#include "live/file_audio_input.h"
#include "live/mic_input.h"
#include "live/mp4_output.h"
#include "live/preview_window.h"
#include "live/v4l2_output.h"
#include "live/voice_output.h"
#include "media/audio_decoder.h"
#include "model/model_set.h"
#include "progress.h"
#include "render_inputs.h"
#include "stream/session_setup.h"
#include "stream/stream_session.h"
#include "stream_outputs.h"
#include "torch_io/state_dict.h"

namespace musetalk::tools {
namespace {

struct StreamOptions {
  std::string avatar;
  std::string input = "mic";
  std::vector<std::string> outputs;
  std::string voice_out = "auto";
  bool list_devices = false;
  int lookahead_ms = 200;
  int context_ms = 20000;
  int latency_ms = 0;
  int fps = 0;
  int batch = 4;
  std::string models = "models";
  std::string version;
  std::string device = "auto";
  std::string precision = "auto";
  std::string v4l2_format = "i420";
  bool no_idle = false;
  int crf = 18;
  int threads = 0;
  bool quiet = false;
};

std::atomic<bool> g_stop{false};

// The longest latency the voice output follows (a CPU hop of the real networks takes seconds).
constexpr int64_t kMaxVoiceDelayNs = int64_t{60} * 1000000000;

// The first Ctrl-C stops cleanly; a second one (while a long CPU hop finishes) ends the process.
extern "C" void on_stop_signal(int signal_number) {
  g_stop = true;
  std::signal(signal_number, SIG_DFL);
}

void say(bool quiet, const std::string& text) {
  if (!quiet) std::fprintf(stderr, "%s\n", text.c_str());
}

int list_devices() {
  live::PortAudioSession audio;
  std::printf("%s", live::format_device_list(audio.devices()).c_str());
  return 0;
}

void check_numbers(const StreamOptions& o) {
  check_render_numbers(o.crf, o.batch, o.threads, o.fps);
  auto in_range = [](const char* name, int value, int lo, int hi) {
    if (value < lo || value > hi) {
      throw Error(std::string(name) + " " + std::to_string(value), "is out of range",
                  "use " + std::to_string(lo) + " to " + std::to_string(hi));
    }
  };
  in_range("--lookahead-ms", o.lookahead_ms, 0, 10000);
  in_range("--context-ms", o.context_ms, 0, 28000);
  in_range("--latency-ms", o.latency_ms, 0, 60000);
  if (o.v4l2_format != "i420" && o.v4l2_format != "yuyv") {
    throw Error("--v4l2-format " + o.v4l2_format, "is not a format the camera writer sends",
                "use i420 or yuyv");
  }
}

// --lookahead-ms, --context-ms and --latency-ms against the frame rate and --batch, before any
// model loads (the session checks the same again).
void check_timing(const StreamOptions& o, int fps) {
  const int least_lookahead = stream::SlidingFeatures::min_lookahead_ms(fps);
  if (o.lookahead_ms < least_lookahead) {
    throw Error("--lookahead-ms " + std::to_string(o.lookahead_ms),
                "is shorter than the audio each frame's Whisper window reads ahead at " +
                    std::to_string(fps) + " fps",
                "use at least " + std::to_string(least_lookahead));
  }
  const int hop_span_ms = (o.batch - 1) * 1000 / fps;
  // Whisper-tiny's input is 30 s: left context, the hop and the lookahead must fit in it.
  const int span_ms = o.context_ms + hop_span_ms + o.lookahead_ms + 200;
  if (span_ms > 30000) {
    throw Error("--context-ms " + std::to_string(o.context_ms),
                "with --lookahead-ms " + std::to_string(o.lookahead_ms) + " and --batch " +
                    std::to_string(o.batch) + " spans " + std::to_string(span_ms) +
                    " ms, more than Whisper's 30 s input",
                "use a shorter --context-ms");
  }
  const int least_latency = o.lookahead_ms + hop_span_ms + 20;
  if (o.latency_ms > 0 && o.latency_ms < least_latency) {
    throw Error("--latency-ms " + std::to_string(o.latency_ms),
                "is shorter than the lookahead and the hop's span: every frame would be late",
                "use at least " + std::to_string(least_latency) + ", or 0 to measure it");
  }
}

// The voice output's device: --voice-out, where auto plays a file's voice on the default device
// and a microphone's nowhere (it would echo into the microphone).
std::string voice_device(const StreamOptions& o, const InputSpec& input) {
  if (o.voice_out == "auto") return input.microphone ? "none" : "default";
  return o.voice_out;
}

int stream_command(const StreamOptions& o) {
  if (o.list_devices) return list_devices();
  if (o.avatar.empty()) {
    throw Error("--avatar", "is required",
                "pass an avatar folder: a native one or an upstream MuseTalk one (musetalk avatar "
                "info DIR tells)");
  }
  // Everything that needs no model first: options, avatar, input, outputs, sound devices.
  check_numbers(o);
  const RenderDevice run_on = render_device(o.device, o.precision);
  const InputSpec input = parse_input(o.input);
  const std::vector<OutputSpec> output_specs =
      parse_outputs(o.outputs.empty() ? std::vector<std::string>{"window"} : o.outputs, input.file);
  host::set_cpu_threads(o.threads);
  avatar::Avatar avatar = avatar::load_avatar(o.avatar);
  std::string version_warning;
  const UNetVersion version = render_version(o.version, avatar, version_warning);
  if (!version_warning.empty()) say(false, version_warning);
  const int fps = render_fps(o.fps, avatar);
  check_timing(o, fps);
  stream::check_session_avatar(avatar, o.avatar);
  if (!input.microphone) check_audio_length(media::measure_audio_16k_mono(input.file), fps);

  stream::SteadyClock clock;
  std::atomic<stream::StreamSession*> session_ptr{nullptr};
  std::unique_ptr<live::VoiceOutput> voice;
  auto on_chunk = [&](int64_t pts, const float* samples, size_t count) {
    if (stream::StreamSession* s = session_ptr.load()) s->push_audio(pts, samples, count);
    if (voice) voice->write(pts, samples, count);
  };
  auto on_end = [&] {
    if (stream::StreamSession* s = session_ptr.load()) s->end_of_input();
  };
  std::unique_ptr<live::PortAudioSession> audio_session;
  std::unique_ptr<live::MicInput> mic;
  std::unique_ptr<live::FileAudioInput> file;
  if (input.microphone) {
    audio_session = std::make_unique<live::PortAudioSession>();
    live::MicInputOptions mic_options;
    mic_options.device = input.device;
    mic = std::make_unique<live::MicInput>(mic_options, on_chunk);
  } else {
    file = std::make_unique<live::FileAudioInput>(input.file, clock, on_chunk, on_end);
  }
  const std::string voice_name = voice_device(o, input);
  if (voice_name != "none") {
    if (!audio_session) audio_session = std::make_unique<live::PortAudioSession>();
    live::VoiceOutputOptions voice_options;
    voice_options.device = voice_name;
    voice_options.max_delay_ns = kMaxVoiceDelayNs;
    try {
      voice = std::make_unique<live::VoiceOutput>(voice_options, 0);
    } catch (const Error& e) {
      if (o.voice_out != "auto") throw;
      // The default only: a machine without sound still streams, silently.
      say(o.quiet, "note: the voice is not played (" + e.problem() +
                       "); --voice-out DEVICE requires a device, --voice-out none silences this");
    }
  }

  FanOut outputs;
  live::PreviewWindow* window = nullptr;
  for (const OutputSpec& spec : output_specs) {
    if (spec.kind == OutputSpec::Kind::Window) {
      auto w = std::make_unique<live::PreviewWindow>(
          live::preview_title(std::filesystem::path(o.avatar).filename().string()));
      w->start_video();  // on this thread, which runs the session and so writes the frames
      if (w->video_driver() == "offscreen" || w->video_driver() == "dummy") {
        say(o.quiet, "note: no display: the preview window runs offscreen and shows nothing");
      }
      window = w.get();
      outputs.add(std::move(w));
    } else if (spec.kind == OutputSpec::Kind::V4l2) {
      live::V4l2OutputOptions v4l2;
      v4l2.device = spec.target;
      v4l2.fps = fps;
      v4l2.pixel_format =
          o.v4l2_format == "yuyv" ? live::V4l2PixelFormat::YUYV : live::V4l2PixelFormat::I420;
      auto camera = std::make_unique<live::V4l2Output>(v4l2);
      camera->open(avatar.frame_width, avatar.frame_height);
      outputs.add(std::move(camera));
    } else {
      outputs.add(std::make_unique<live::Mp4Output>(spec.target, o.crf));
    }
  }

  say(o.quiet, "loading models from " + o.models);
  // An avatar without latents needs the VAE encoder, which a set exported for render or stream
  // leaves out: said now, not after the models have loaded.
  if (!avatar.has_latents()) require_vae_encoder(ModelPaths::in(o.models, version));
  ModelSet models = stream::SessionModels{o.models, version, run_on.device, run_on.dtype}.load();
  torch::Tensor latents;
  if (avatar.has_latents()) {
    latents = to_torch(avatar.latents);
  } else {
    say(o.quiet, o.avatar + " has no latents.safetensors: making them with the VAE");
    Progress latent_progress("latents", o.quiet);
    latents = adapters::make_avatar_latents(
        models.vae, models.vae_config.scaling_factor, avatar, o.batch,
        [&](int64_t done, int64_t total) { latent_progress.update(done, total); });
    latent_progress.finish();
  }
  std::shared_ptr<const stream::SessionAvatar> session_avatar =
      stream::load_session_avatar(avatar, latents, models);

  stream::SessionTiming timing;
  timing.fps = fps;
  timing.lookahead_ms = o.lookahead_ms;
  timing.context_ms = o.context_ms;
  timing.batch = o.batch;
  timing.latency_ms = o.latency_ms;
  timing.idle = !o.no_idle;
  stream::StreamSession session(models, session_avatar, stream::session_settings(timing), clock);
  const int64_t latency_ns = session.warm_up();
  say(o.quiet, "latency " + std::to_string(latency_ns / 1000000) + " ms (" +
                   (o.latency_ms > 0 ? std::string("--latency-ms")
                                     : "lookahead " + std::to_string(o.lookahead_ms) +
                                           " ms + the hop's span + twice a hop's compute") +
                   "); Ctrl-C stops");
  if (voice) {
    if (latency_ns > kMaxVoiceDelayNs) {
      throw Error("--voice-out " + voice_name,
                  "cannot delay the voice by the " + std::to_string(latency_ns / 1000000) +
                      " ms this device needs per frame",
                  "use --voice-out none, a faster --device, or a smaller --batch");
    }
    voice->set_delay_ns(latency_ns);
    voice->start();
  }
  // Whatever happens from here on, the inputs stop calling into the session before it goes.
  struct InputsStopper {
    std::atomic<stream::StreamSession*>& session;
    live::MicInput* mic;
    live::FileAudioInput* file;
    ~InputsStopper() {
      session = nullptr;
      try {
        if (mic) mic->stop();
      } catch (...) {  // a destructor: the error was reported, or another one is on its way
      }
      if (file) file->stop();
    }
  } stopper{session_ptr, mic.get(), file.get()};
  session_ptr = &session;
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  if (mic) mic->start();
  if (file) file->start();

  // Ctrl-C or a closed window stops the stream at once (the MP4 keeps what was shown); the end
  // of a file lets the session show what it still has.
  std::atomic<bool> cancel{false};
  std::thread watcher([&] {
    bool ended = false;
    while (!cancel) {
      if (g_stop || (window && window->closed())) {
        cancel = true;
        break;
      }
      if (mic && !mic->active()) {
        std::fprintf(stderr, "\nthe microphone stopped delivering audio: stopping\n");
        cancel = true;
        break;
      }
      if (file && file->done() && !ended) {
        session.end_of_input();  // also when decoding failed midway: wait() reports it
        ended = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  const bool live_status = !o.quiet && isatty(STDERR_FILENO);
  auto last = std::chrono::steady_clock::now();
  int64_t last_frames = 0;
  stream::StreamStats stats;
  std::exception_ptr failure;
  try {
    stats = session.run(outputs, &cancel, [&](const stream::StreamStats& s) {
      if (!live_status) return;
      const auto now = std::chrono::steady_clock::now();
      const double seconds = std::chrono::duration<double>(now - last).count();
      const double rate = seconds > 0 ? static_cast<double>(s.frames - last_frames) / seconds : 0;
      last = now;
      last_frames = s.frames;
      std::fprintf(stderr, "\r%s\033[K", status_line(s, rate).c_str());
    });
  } catch (...) {
    failure = std::current_exception();
  }
  cancel = true;
  watcher.join();
  session_ptr = nullptr;
  if (file) file->stop();
  if (voice) voice->stop();
  if (mic) {
    try {
      mic->stop();
    } catch (...) {
      if (!failure) failure = std::current_exception();
    }
  }
  if (live_status) std::fprintf(stderr, "\n");
  if (failure) std::rethrow_exception(failure);
  if (file) file->wait();
  if (!o.quiet) {
    std::fprintf(stderr,
                 "streamed %lld frames at %d fps: %lld speech, %lld idle, %lld skipped (late); "
                 "latency %.0f ms; a hop of %d frames took %.0f ms (features %.0f, UNet+VAE %.0f, "
                 "compositing %.0f)\n",
                 static_cast<long long>(stats.frames), fps, static_cast<long long>(stats.speech),
                 static_cast<long long>(stats.idle), static_cast<long long>(stats.filler),
                 stats.latency_ms, o.batch, stats.hop_ms, stats.features_ms, stats.networks_ms,
                 stats.compositing_ms);
    for (const OutputSpec& spec : output_specs) {
      if (spec.kind != OutputSpec::Kind::File) continue;
      if (stats.frames > 0) {
        std::fprintf(stderr, "wrote %s\n", spec.target.c_str());
      } else {
        std::fprintf(stderr, "no audio came in: %s was not written\n", spec.target.c_str());
      }
    }
  }
  return 0;
}

}  // namespace

void add_stream_command(CLI::App& app, CommandRunner& run) {
  auto o = std::make_shared<StreamOptions>();
  CLI::App* cmd = app.add_subcommand(
      "stream", "Drive an avatar live from a microphone or a file, to a window, camera or MP4");
  cmd->add_option("--avatar", o->avatar, "Avatar folder (native or upstream layout)");
  cmd->add_option("--input", o->input, "mic, mic:DEVICE (see --list-devices) or an audio file")
      ->capture_default_str();
  cmd->add_option("--output", o->outputs,
                  "window, v4l2:/dev/videoN or FILE.mp4; repeat for several (default: window)");
  cmd->add_option("--voice-out", o->voice_out,
                  "Play the voice delayed to match the picture: auto (a file's voice on the "
                  "default device, a microphone's nowhere), default, a device from "
                  "--list-devices, or none")
      ->capture_default_str();
  cmd->add_flag("--list-devices", o->list_devices, "List the sound devices and exit");
  cmd->add_option("--lookahead-ms", o->lookahead_ms,
                  "Audio past each frame waited for before generating it")
      ->capture_default_str();
  cmd->add_option("--context-ms", o->context_ms, "Audio before each hop given to Whisper")
      ->capture_default_str();
  cmd->add_option("--latency-ms", o->latency_ms,
                  "Fixed delay from voice in to frame out (0: measured at start)")
      ->capture_default_str();
  cmd->add_option("--fps", o->fps, "Frames per second (default: the avatar's)");
  cmd->add_option("--batch", o->batch, "Frames per hop (one Whisper, UNet and VAE call)")
      ->capture_default_str();
  cmd->add_option("--models", o->models, "Models folder (models/README.md)")->capture_default_str();
  cmd->add_option("--version", o->version,
                  "UNet version: v15 or v1 (default: the avatar's when it records one, else v15)");
  cmd->add_option("--device", o->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--precision", o->precision, "auto (fp16 on CUDA, fp32 on CPU), fp32, fp16, bf16")
      ->capture_default_str();
  cmd->add_option("--v4l2-format", o->v4l2_format, "Virtual camera pixel format: i420 or yuyv")
      ->capture_default_str();
  cmd->add_flag("--no-idle", o->no_idle, "Run the networks in silence too (no idle frames)");
  cmd->add_option("--crf", o->crf, "H.264 quality of an MP4 output, 0 to 51")
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (0: all cores)")->capture_default_str();
  cmd->add_flag("--quiet", o->quiet, "No status line or summary");
  cmd->callback([&run, o] { run = [o] { return stream_command(*o); }; });
}

}  // namespace musetalk::tools
