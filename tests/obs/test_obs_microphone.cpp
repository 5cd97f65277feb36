// The MuseTalk Avatar OBS source end to end from a microphone (issue 12): a private PulseAudio
// server (tests/live/pulse_server.h) whose null sink "fakemic" is the microphone, OBS's own
// PulseAudio capture source (the system module linux-pulseaudio, source "pulse_input_capture")
// recording its monitor, and the avatar listening to that source. The sample voice played into
// the fake microphone makes speech frames come out of OBS's video output, with the voice in its
// audio mix; the silence before and after it makes idle (cycle) frames.
#include <gtest/gtest.h>
#include <util/platform.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "live/pulse_server.h"
#include "obs_host.h"
#include "test_support.h"

namespace musetalk::test::obs {
namespace {

using std::chrono::milliseconds;

// OBS's PulseAudio capture as Debian's obs-studio installs it (the path from CMake, for the
// build's library architecture). Its input source reads the device to record from the setting
// "device_id" (obs-studio plugins/linux-pulseaudio/pulse-input.c, pulse_update).
constexpr const char* kPulseModule = MUSETALK_OBS_PULSE_MODULE;
constexpr const char* kPulseModuleData = "/usr/share/obs/obs-plugins/linux-pulseaudio";
constexpr const char* kPulseInputId = "pulse_input_capture";

// Opens and initialises linux-pulseaudio once per process (obs_shutdown frees it); "" or why not.
std::string open_pulse_module() {
  static const std::string problem = []() -> std::string {
    obs_module_t* module = nullptr;
    const int opened = obs_open_module(&module, kPulseModule, kPulseModuleData);
    if (opened != MODULE_SUCCESS) {
      return std::string("obs_open_module(") + kPulseModule + ") returned " +
             std::to_string(opened);
    }
    if (!obs_init_module(module))
      return std::string("obs_init_module(") + kPulseModule + ") failed";
    return "";
  }();
  return problem;
}

// What OBS's raw video and audio callbacks saw.
struct Capture {
  std::mutex mutex;
  std::vector<std::pair<uint64_t, double>> video;  // timestamp (ns), mean luma of the mouth
  std::vector<std::pair<uint64_t, float>> audio;   // timestamp (ns), peak of the packet in mix 0
};

void on_video(void* param, video_data* frame) {
  auto* c = static_cast<Capture*>(param);
  // The mouth: the sample avatar is drawn unscaled at the top left (face box x 112-228,
  // y 131-265 in data/sample/avatar/avatar.json).
  double sum = 0;
  int n = 0;
  for (int y = 200; y < 260; ++y) {
    for (int x = 130; x < 210; ++x, ++n) sum += frame->data[0][y * frame->linesize[0] + x];
  }
  std::lock_guard<std::mutex> lock(c->mutex);
  c->video.emplace_back(frame->timestamp, sum / n);
}

void on_audio(void* param, size_t, audio_data* packet) {
  auto* c = static_cast<Capture*>(param);
  const float* left = reinterpret_cast<const float*>(packet->data[0]);
  float peak = 0;
  for (uint32_t i = 0; i < packet->frames; ++i) peak = std::max(peak, std::abs(left[i]));
  std::lock_guard<std::mutex> lock(c->mutex);
  c->audio.emplace_back(packet->timestamp, peak);
}

// Registers the raw callbacks for its lifetime.
class RawCallbacks {
 public:
  explicit RawCallbacks(Capture* capture) : capture_(capture) {
    video_scale_info video = {};
    video.format = VIDEO_FORMAT_I420;
    video.width = 640;
    video.height = 360;
    audio_convert_info audio = {};
    audio.samples_per_sec = kSampleRate;
    audio.format = AUDIO_FORMAT_FLOAT_PLANAR;
    audio.speakers = SPEAKERS_STEREO;
    obs_add_raw_video_callback(&video, on_video, capture_);
    obs_add_raw_audio_callback(0, &audio, on_audio, capture_);
  }
  ~RawCallbacks() {
    obs_remove_raw_audio_callback(0, on_audio, capture_);
    obs_remove_raw_video_callback(on_video, capture_);
  }
  RawCallbacks(const RawCallbacks&) = delete;
  RawCallbacks& operator=(const RawCallbacks&) = delete;

 private:
  Capture* capture_;
};

TEST(ObsMicrophone, FakeMicrophoneDrivesTheAvatarThroughPulseInputCapture) {
  std::string reason;
  if (!module_file_exists(&reason)) GTEST_SKIP() << reason;
  const std::string missing = PulseServer::missing_tools();
  if (!missing.empty()) GTEST_SKIP() << "needs " << missing;
  if (!std::filesystem::exists(kPulseModule)) {
    GTEST_SKIP() << "needs OBS's PulseAudio capture " << kPulseModule
                 << " (Debian package obs-plugins)";
  }
  ObsHost& host = ObsHost::get();
  ASSERT_TRUE(host.ok()) << host.error();
  ASSERT_EQ(host.enable_video(), "");

  // The server first: it points PULSE_SERVER at itself, which OBS's PulseAudio context reads when
  // the capture source connects. Destroyed last, after the sources.
  auto pulse = std::make_unique<PulseServer>();
  const std::string module_problem = open_pulse_module();
  ASSERT_EQ(module_problem, "");
  ASSERT_NE(obs_source_get_display_name(kPulseInputId), nullptr)
      << "linux-pulseaudio registered no " << kPulseInputId;
  const auto test_start = std::chrono::steady_clock::now();

  Capture capture;
  {
    // The callbacks run before the avatar is on the program, so OBS's output starts black and
    // the avatar's first frame is the first rendered frame that differs from it.
    RawCallbacks callbacks(&capture);
    SourceRef mic =
        create_source(kPulseInputId, "Fake Microphone", "{\"device_id\": \"fakemic.monitor\"}");
    ASSERT_TRUE(mic);
    SourceRef avatar = create_source(
        kSourceId, "Mic Avatar",
        "{\"avatar_dir\": " + quoted(sample_dir() + "/avatar") +
            ", \"models_dir\": " + quoted(tiny_models_dir().string()) +
            ", \"audio_source\": \"Fake Microphone\", \"device\": \"cpu\", \"precision\": "
            "\"fp32\"}");
    ASSERT_TRUE(avatar);
    obs_set_output_source(0, avatar.get());
    struct OffProgram {
      ~OffProgram() { obs_set_output_source(0, nullptr); }
    } off_program;

    AvatarStats stats;
    ASSERT_TRUE(wait_until(
        [&] {
          stats = get_stats(avatar.get());
          return stats.loaded || stats.status.rfind("Error: ", 0) == 0;
        },
        milliseconds(20000)))
        << "status: " << stats.status;
    ASSERT_TRUE(stats.loaded) << stats.status;
    const int latency_ms = status_latency_ms(stats.status);
    ASSERT_GT(latency_ms, 0) << "no latency in the status: " << stats.status;
    // The monitor of a null sink delivers silence while nothing plays: the microphone's audio
    // reaches the avatar before any speech.
    ASSERT_TRUE(
        wait_until([&] { return get_stats(avatar.get()).audio_packets > 0; }, milliseconds(5000)))
        << "no audio from pulse_input_capture on fakemic.monitor reached the avatar; status: "
        << get_stats(avatar.get()).status << "\nPulseAudio log:\n"
        << pulse->log();
    // One second of the microphone's silence (the idle cycle, 6 frames at 25 fps, 4 times over)
    // before the voice: the avatar's first frames show it once they come out, `latency_ms` later.
    std::this_thread::sleep_for(milliseconds(1000));
    const AvatarStats before_speech = get_stats(avatar.get());

    // Speech: the sample voice (3.2 s) into the fake microphone; paplay returns once it played.
    std::string paplay_output;
    ASSERT_EQ(pulse->run({"paplay", "-d", "fakemic", sample_dir() + "/voice.wav"}, &paplay_output),
              0)
        << paplay_output;
    const uint64_t speech_end_ns = os_gettime_ns();

    // Silence again: the avatar's frames for it are rendered from `latency_ms` after the voice
    // ended (plus the voice gate's release and the capture's own delay, well under 1 s); wait
    // for 20 of them.
    const uint64_t silence_from_ns = speech_end_ns + (uint64_t(latency_ms) + 1000) * 1000000ull;
    auto frames_after = [&](uint64_t from_ns) {
      std::lock_guard<std::mutex> lock(capture.mutex);
      return std::count_if(capture.video.begin(), capture.video.end(),
                           [&](const auto& f) { return f.first >= from_ns; });
    };
    const bool silence_seen = wait_until([&] { return frames_after(silence_from_ns) >= 20; },
                                         milliseconds(latency_ms + 4000));
    const AvatarStats after = get_stats(avatar.get());
    EXPECT_TRUE(silence_seen) << "OBS rendered no frames " << latency_ms + 1000
                              << " ms after the voice ended; " << after.status;
    // Frames came out while the speech played and after it, in silence.
    EXPECT_GT(after.frames, before_speech.frames) << after.status;
    EXPECT_GT(after.audio_packets, before_speech.audio_packets) << after.status;
    EXPECT_TRUE(wait_until([&] { return get_stats(avatar.get()).frames > after.frames; },
                           milliseconds(2000)))
        << "no idle frames in silence; " << get_stats(avatar.get()).status;

    std::lock_guard<std::mutex> lock(capture.mutex);
    ASSERT_FALSE(capture.video.empty());
    // The avatar's frames: from the first rendered frame that is not the empty output.
    const double empty = capture.video.front().second;
    const auto first_avatar =
        std::find_if(capture.video.begin(), capture.video.end(),
                     [&](const auto& f) { return std::abs(f.second - empty) > 0.5; });
    // The idle cycle: its first 15 rendered frames (0.5 s of the silence before the voice).
    ASSERT_GE(capture.video.end() - first_avatar, 15) << "the avatar's frames never showed";
    std::vector<double> idle;
    for (auto f = first_avatar; f != first_avatar + 15; ++f) idle.push_back(f->second);
    auto like_idle = [&](double luma) {
      return std::any_of(idle.begin(), idle.end(),
                         [&](double l) { return std::abs(l - luma) < 0.5; });
    };
    size_t speech_frames = 0, final_frames = 0, final_idle = 0;
    for (auto f = first_avatar; f != capture.video.end(); ++f) {
      if (!like_idle(f->second)) ++speech_frames;
      if (f->first >= silence_from_ns) {
        ++final_frames;
        if (like_idle(f->second)) ++final_idle;
      }
    }
    float voice_peak = 0;
    for (const auto& [ts, peak] : capture.audio) voice_peak = std::max(voice_peak, peak);
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - test_start).count();
    std::printf(
        "[ mic      ] %zu speech frames, %zu of %zu frames idle in the silence after the voice; "
        "voice peak %.3f in OBS's mix; %.1f s; %s\n",
        speech_frames, final_idle, final_frames, voice_peak, wall_s, after.status.c_str());
    // On a loaded CPU the session drops most speech frames (the idle cycle stands in for them),
    // so a few are enough here; the voice holds about 2.5 s of speech.
    EXPECT_GE(speech_frames, 3u) << "the avatar did not speak the microphone's voice";
    EXPECT_EQ(final_idle, final_frames) << "frames in the silence after the voice are not idle";
    // The avatar re-emits the voice (RMS 0.03-0.18 while it speaks) into OBS's mix, its only
    // source there.
    EXPECT_GT(voice_peak, 0.02f) << "the re-emitted voice did not reach OBS's mix";
  }
  // The sources are gone (libobs destroys them on its destruction thread) before their server.
  obs_wait_for_destroy_queue();
  pulse.reset();
}

}  // namespace
}  // namespace musetalk::test::obs
