// The MuseTalk Avatar OBS source end to end from a microphone (issue 12): a private PulseAudio
// server (tests/live/pulse_server.h) whose null sink "fakemic" is the microphone, OBS's own
// PulseAudio capture source (the system module linux-pulseaudio, source "pulse_input_capture")
// recording its monitor, and the avatar (the sample with latents, obs_host.h latents_avatar_dir)
// listening to that source. The sample voice played into the fake microphone makes speech frames
// come out of OBS's video output, with the voice in its audio mix; the silence before and after
// it makes idle (cycle) frames.
#include <gtest/gtest.h>
#include <util/platform.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
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

  {
    // The callbacks run before the avatar is on the program, so OBS's output starts black and
    // the avatar's first frame is the first rendered frame that differs from it.
    OutputCapture capture;
    SourceRef mic =
        create_source(kPulseInputId, "Fake Microphone", "{\"device_id\": \"fakemic.monitor\"}");
    ASSERT_TRUE(mic);
    SourceRef avatar = create_source(kSourceId, "Mic Avatar", running_settings("Fake Microphone"));
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
      const std::vector<OutputCapture::Frame> frames = capture.frames();
      return std::count_if(frames.begin(), frames.end(), [&](const OutputCapture::Frame& f) {
        return f.timestamp_ns >= from_ns;
      });
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

    const std::vector<OutputCapture::Frame> video = capture.frames();
    ASSERT_FALSE(video.empty());
    // The avatar's frames: from the first rendered frame that is not the empty output.
    const double empty = video.front().mouth_luma;
    const auto first_avatar = std::find_if(video.begin(), video.end(), [&](const auto& f) {
      return std::abs(f.mouth_luma - empty) > 0.5;
    });
    // The idle cycle: its first 15 rendered frames (0.5 s of the silence before the voice).
    ASSERT_GE(video.end() - first_avatar, 15) << "the avatar's frames never showed";
    std::vector<double> idle;
    for (auto f = first_avatar; f != first_avatar + 15; ++f) idle.push_back(f->mouth_luma);
    size_t speech_frames = 0, final_frames = 0, final_idle = 0;
    for (auto f = first_avatar; f != video.end(); ++f) {
      if (!like_any(idle, f->mouth_luma)) ++speech_frames;
      if (f->timestamp_ns >= silence_from_ns) {
        ++final_frames;
        if (like_any(idle, f->mouth_luma)) ++final_idle;
      }
    }
    float voice_peak = 0;
    for (const OutputCapture::Packet& p : capture.packets())
      voice_peak = std::max(voice_peak, p.peak);
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
