// obs_path_bench: what the OBS source (plugin/) adds per frame on top of the live session: its
// own code against a started libobs (audio 48 kHz stereo, video through libobs-opengl), with
// the session's frames and voice made up (their content does not change the cost).
//
//   capture    CaptureBuffer::push of one frame's audio as OBS hands it over (48 kHz stereo
//              float planar, 40 ms = 1920 samples per channel at 25 fps: the downmix to mono
//              into the lock-free ring) + pop() of its blocks on the pump
//   resample   VoiceResampler::convert of those blocks to 16 kHz (libobs's audio_resampler)
//   output     ObsFrameOutput::write: BGR to BGRA + obs_source_output_video + the frame's voice
//              (640 samples of 16 kHz mono) to obs_source_output_audio; split by timing it
//              without audio, obs_source_output_video alone on a ready BGRA frame and
//              obs_source_output_audio alone on the voice
//   wake       the latency of the capture buffer: from push() on OBS's side to pop() returning
//              on the pump (which polls every 2 ms), with packets of 1024 samples (OBS's audio
//              tick) every 21.3 ms
//
// The frames go to a test source shown on channel 0 (so OBS's render thread consumes them) at
// the session's pace, 25 fps; CPU time is the calling thread's (CLOCK_THREAD_CPUTIME_ID), and
// "OBS threads" is the rest of the process's CPU time while frames flow, minus the same while
// the source shows a still frame. libobs needs an X display (obs_startup opens one for hotkeys):
//
//   xvfb-run -a build/bench/obs_path_bench [--frames 250] [--sizes 352x608,704x1216]
#include <obs.h>
#include <util/platform.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "capture_buffer.h"
#include "files/error.h"
#include "obs_frame_output.h"
#include "voice_resampler.h"

namespace musetalk {
namespace {

using obs_plugin::CaptureBuffer;
using obs_plugin::CapturedBlock;
using obs_plugin::ObsFrameOutput;
using obs_plugin::VoiceResampler;

constexpr int kFps = 25;
constexpr uint32_t kObsRate = 48000;
constexpr size_t kObsPerFrame = kObsRate / kFps;  // 1920 samples per channel
constexpr int kVoicePerFrame = 16000 / kFps;      // 640 samples of 16 kHz mono
constexpr const char* kSourceId = "musetalk_bench_async";

int64_t thread_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return int64_t{t.tv_sec} * 1000000000 + t.tv_nsec;
}

int64_t process_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return int64_t{t.tv_sec} * 1000000000 + t.tv_nsec;
}

// Mean CPU and wall time of one call, in ms.
struct Cost {
  int64_t cpu_ns = 0, wall_ns = 0, calls = 0;
  double cpu_ms() const { return calls ? cpu_ns / 1e6 / calls : 0; }
  double wall_ms() const { return calls ? wall_ns / 1e6 / calls : 0; }
};

template <typename F>
void timed(Cost& cost, F&& f) {
  const int64_t c0 = thread_cpu_ns();
  const uint64_t w0 = os_gettime_ns();
  f();
  cost.wall_ns += static_cast<int64_t>(os_gettime_ns() - w0);
  cost.cpu_ns += thread_cpu_ns() - c0;
  ++cost.calls;
}

// An async video + audio source with no work of its own: the frames are the bench's.
void register_bench_source() {
  obs_source_info info = {};
  info.id = kSourceId;
  info.type = OBS_SOURCE_TYPE_INPUT;
  info.output_flags = OBS_SOURCE_ASYNC_VIDEO | OBS_SOURCE_AUDIO;
  info.get_name = [](void*) { return "Bench Async"; };
  info.create = [](obs_data_t*, obs_source_t* source) -> void* { return source; };
  info.destroy = [](void*) {};
  obs_register_source(&info);
}

void start_obs() {
  if (!std::getenv("DISPLAY")) {
    throw Error("DISPLAY", "is not set; libobs's obs_startup needs an X display",
                "run the benchmark under `xvfb-run -a`");
  }
  base_set_log_handler(
      [](int level, const char* format, va_list args, void*) {
        if (level > LOG_WARNING) return;
        std::vfprintf(stderr, format, args);
        std::fputc('\n', stderr);
      },
      nullptr);
  if (!obs_startup("en-US", nullptr, nullptr)) {
    throw Error("libobs", "obs_startup failed", "check that the X display works (xdpyinfo)");
  }
  obs_audio_info audio = {};
  audio.samples_per_sec = kObsRate;
  audio.speakers = SPEAKERS_STEREO;
  if (!obs_reset_audio(&audio)) throw Error("libobs", "obs_reset_audio (48 kHz stereo) failed");
  // The tests' video settings (tests/obs/obs_host.cpp ObsHost::enable_video), at 720p.
  obs_video_info video = {};
  video.graphics_module = "libobs-opengl";
  video.fps_num = 30;
  video.fps_den = 1;
  video.base_width = video.output_width = 1280;
  video.base_height = video.output_height = 720;
  video.output_format = VIDEO_FORMAT_I420;
  video.colorspace = VIDEO_CS_709;
  video.range = VIDEO_RANGE_PARTIAL;
  video.scale_type = OBS_SCALE_BICUBIC;
  video.gpu_conversion = true;
  if (obs_reset_video(&video) != OBS_VIDEO_SUCCESS) {
    throw Error("libobs", "obs_reset_video (libobs-opengl) failed",
                "install libobs-dev's libobs-opengl and Mesa (libgl1-mesa-dri)");
  }
  register_bench_source();
}

struct SizeResult {
  int width = 0, height = 0;
  Cost capture, resample, output, no_audio, video_only, audio_only;
  double obs_threads_ms = 0, obs_still_ms = 0;  // other threads' CPU per frame
};

// Calls step(i) once per frame at 25 fps for `frames` frames; returns the process CPU time of
// all threads but this one, per frame.
template <typename F>
double paced(int frames, F&& step) {
  const int64_t p0 = process_cpu_ns(), t0 = thread_cpu_ns();
  auto next = std::chrono::steady_clock::now();
  for (int i = 0; i < frames; ++i) {
    step(i);
    next += std::chrono::microseconds(1000000 / kFps);
    std::this_thread::sleep_until(next);
  }
  return ((process_cpu_ns() - p0) - (thread_cpu_ns() - t0)) / 1e6 / frames;
}

SizeResult measure_size(obs_source_t* source, int width, int height, int frames, int64_t& ts) {
  SizeResult r;
  r.width = width;
  r.height = height;
  std::vector<uint8_t> bgr(static_cast<size_t>(width) * height * 3);
  for (size_t i = 0; i < bgr.size(); ++i) bgr[i] = static_cast<uint8_t>(i * 7 + i / 3);
  std::vector<float> left(kObsPerFrame), right(kObsPerFrame), voice(kVoicePerFrame);
  for (size_t i = 0; i < kObsPerFrame; ++i) {
    left[i] = 0.3f * std::sin(static_cast<float>(i) * 0.0576f);
    right[i] = 0.2f * std::sin(static_cast<float>(i) * 0.0412f);
  }
  for (int i = 0; i < kVoicePerFrame; ++i) voice[i] = left[static_cast<size_t>(i) * 3];
  const float* planes[2] = {left.data(), right.data()};

  CaptureBuffer capture;
  VoiceResampler resampler;
  std::vector<CapturedBlock> blocks;
  size_t held = 0;
  std::vector<float> mono;
  std::atomic<bool> emit_audio{true};
  std::atomic<int64_t> count{0};

  auto view = [&](int64_t index) {
    stream::FrameView v;
    v.index = index;
    v.fps = kFps;
    v.bgr = bgr.data();
    v.width = width;
    v.height = height;
    v.stride = width * 3;
    v.audio = voice.data();
    v.audio_samples = kVoicePerFrame;
    return v;
  };
  auto capture_and_resample = [&](bool time_it) {
    Cost c, s;
    timed(c, [&] {
      capture.push(planes, 2, kObsPerFrame, kObsRate, static_cast<int64_t>(os_gettime_ns()));
      held = 0;  // the blocks' vectors are reused, as the pump reuses its one block
      while (true) {
        if (blocks.size() == held) blocks.emplace_back();
        if (!capture.pop(blocks[held])) break;
        ++held;
      }
    });
    timed(s, [&] {
      mono.clear();
      for (size_t i = 0; i < held; ++i) resampler.convert(blocks[i], mono);
    });
    if (time_it) {
      r.capture.cpu_ns += c.cpu_ns, r.capture.wall_ns += c.wall_ns, ++r.capture.calls;
      r.resample.cpu_ns += s.cpu_ns, r.resample.wall_ns += s.wall_ns, ++r.resample.calls;
    }
  };

  // Phase 0: the source shows its last frame (or none), nothing new arrives: OBS's threads' own
  // cost, to subtract from theirs while frames flow.
  r.obs_still_ms = paced(frames, [](int) {});
  ts += int64_t{frames} * 1000000000 / kFps;  // the timeline keeps pace with the clock
  // Phase 1: the whole path per frame, as the plugin runs it (capture + resample on the worker,
  // write() on the session's thread; here one after another on one thread).
  {
    ObsFrameOutput out(source, ts, emit_audio, count);
    capture_and_resample(false);  // warm-up: creates the resampler
    out.write(view(0));
    r.obs_threads_ms = paced(frames, [&](int i) {
      capture_and_resample(true);
      timed(r.output, [&] { out.write(view(i + 1)); });
    });
    ts = out.next_ns();
  }
  // Phase 3: write() without the voice: BGR to BGRA + obs_source_output_video.
  {
    emit_audio = false;
    ObsFrameOutput out(source, ts, emit_audio, count);
    paced(frames, [&](int i) { timed(r.no_audio, [&] { out.write(view(i)); }); });
    ts = out.next_ns();
  }
  // Phase 4: obs_source_output_video alone on a ready BGRA frame: OBS's copy into its cache.
  {
    std::vector<uint8_t> bgra(static_cast<size_t>(width) * height * 4, 128);
    paced(frames, [&](int) {
      obs_source_frame video{};
      video.data[0] = bgra.data();
      video.linesize[0] = static_cast<uint32_t>(width) * 4;
      video.width = static_cast<uint32_t>(width);
      video.height = static_cast<uint32_t>(height);
      video.format = VIDEO_FORMAT_BGRA;
      video.full_range = true;
      video.timestamp = static_cast<uint64_t>(ts);
      timed(r.video_only, [&] { obs_source_output_video(source, &video); });
      ts += 1000000000 / kFps;
    });
  }
  // Phase 4: obs_source_output_audio alone on one frame's voice.
  paced(frames, [&](int) {
    obs_source_audio audio{};
    audio.data[0] = reinterpret_cast<const uint8_t*>(voice.data());
    audio.frames = kVoicePerFrame;
    audio.speakers = SPEAKERS_MONO;
    audio.format = AUDIO_FORMAT_FLOAT;
    audio.samples_per_sec = 16000;
    audio.timestamp = static_cast<uint64_t>(ts);
    timed(r.audio_only, [&] { obs_source_output_audio(source, &audio); });
    ts += 1000000000 / kFps;
  });
  return r;
}

// The capture buffer's wake-up latency: OBS's audio thread pushes 1024-sample packets every
// 21.3 ms; the pump waits in pop() as AvatarWorker's pump does (20 ms steps, polling).
struct Wake {
  double mean_ms = 0, max_ms = 0;
  int64_t packets = 0;
};

Wake measure_wake(int packets) {
  CaptureBuffer capture;
  Cost wake;
  int64_t max_ns = 0;
  std::atomic<bool> done{false};
  std::thread worker([&] {
    CapturedBlock block;
    while (!done) {
      for (bool got = capture.pop(block, std::chrono::milliseconds(20)); got;
           got = capture.pop(block)) {
        const auto now = static_cast<int64_t>(os_gettime_ns());
        wake.wall_ns += now - block.arrival_ns;
        max_ns = std::max(max_ns, now - block.arrival_ns);
        ++wake.calls;
      }
    }
  });
  std::vector<float> zeros(1024, 0.0f);
  const float* planes[2] = {zeros.data(), zeros.data()};
  auto next = std::chrono::steady_clock::now();
  for (int i = 0; i < packets; ++i) {
    capture.push(planes, 2, zeros.size(), kObsRate, static_cast<int64_t>(os_gettime_ns()));
    next += std::chrono::microseconds(1024 * 1000000 / kObsRate);
    std::this_thread::sleep_until(next);
  }
  done = true;
  capture.wake();
  worker.join();
  return {wake.wall_ms(), max_ns / 1e6, wake.calls};
}

int run(int frames, const std::string& sizes) {
  start_obs();
  obs_source_t* source = obs_source_create(kSourceId, "bench", nullptr, nullptr);
  if (!source) throw Error("libobs", "obs_source_create of the bench source failed");
  obs_set_output_source(0, source);
  std::vector<SizeResult> results;
  int64_t ts = 0;
  for (size_t at = 0; at < sizes.size();) {
    const size_t comma = sizes.find(',', at);
    const std::string size = sizes.substr(at, comma == std::string::npos ? comma : comma - at);
    at = comma == std::string::npos ? sizes.size() : comma + 1;
    int w = 0, h = 0;
    if (std::sscanf(size.c_str(), "%dx%d", &w, &h) != 2 || w <= 0 || h <= 0) {
      throw Error("--sizes " + sizes, "has a size that is not WIDTHxHEIGHT", "e.g. 352x608");
    }
    results.push_back(measure_size(source, w, h, frames, ts));
  }
  const Wake wake = measure_wake(frames * 2);
  obs_set_output_source(0, nullptr);
  obs_source_release(source);
  obs_shutdown();

  std::printf("%d frames per phase at %d fps; CPU ms per frame (wall ms per frame)\n", frames,
              kFps);
  std::printf(
      "| size | capture copy | resample to 16 kHz mono | BGR to BGRA | "
      "obs_source_output_video | obs_source_output_audio | write() | path total | "
      "OBS threads (new frames - still) |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (const SizeResult& r : results) {
    const double convert_cpu = r.no_audio.cpu_ms() - r.video_only.cpu_ms();
    const double convert_wall = r.no_audio.wall_ms() - r.video_only.wall_ms();
    const double audio_cpu = r.audio_only.cpu_ms();
    const double audio_wall = r.audio_only.wall_ms();
    const double total_cpu = r.capture.cpu_ms() + r.resample.cpu_ms() + r.output.cpu_ms();
    const double total_wall = r.capture.wall_ms() + r.resample.wall_ms() + r.output.wall_ms();
    std::printf(
        "| %dx%d | %.3f (%.3f) | %.3f (%.3f) | %.3f (%.3f) | %.3f (%.3f) | %.3f (%.3f) | "
        "%.3f (%.3f) | %.3f (%.3f) | %.3f - %.3f = %.3f |\n",
        r.width, r.height, r.capture.cpu_ms(), r.capture.wall_ms(), r.resample.cpu_ms(),
        r.resample.wall_ms(), convert_cpu, convert_wall, r.video_only.cpu_ms(),
        r.video_only.wall_ms(), audio_cpu, audio_wall, r.output.cpu_ms(), r.output.wall_ms(),
        total_cpu, total_wall, r.obs_threads_ms, r.obs_still_ms, r.obs_threads_ms - r.obs_still_ms);
  }
  std::printf(
      "capture buffer wake-up (push on OBS's thread to pop() on the pump): mean %.3f ms, "
      "max %.3f ms over %lld packets\n",
      wake.mean_ms, wake.max_ms, static_cast<long long>(wake.packets));
  return 0;
}

}  // namespace
}  // namespace musetalk

int main(int argc, char** argv) {
  int frames = 125;
  std::string sizes = "352x608,704x1216";
  CLI::App app{"obs_path_bench: what the OBS source adds per frame over the live session"};
  app.add_option("--frames", frames, "Frames per phase (at 25 fps)")->capture_default_str();
  app.add_option("--sizes", sizes, "Frame sizes, WIDTHxHEIGHT,...")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return musetalk::run(frames, sizes);
  } catch (const musetalk::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
