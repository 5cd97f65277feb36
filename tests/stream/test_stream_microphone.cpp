// `musetalk stream` end to end with real audio I/O: a private PulseAudio server
// (tests/live/pulse_server.h) whose "fakemic" sink plays a WAV as the microphone, the tool
// capturing its monitor, streaming the avatar into an MP4 and playing the voice into the "voice"
// sink; one recording of both sinks shows how much later the voice left than it came in, which
// must be the latency the tool reported.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>
#include <thread>

#include "../live/burst_signal.h"
#include "../live/pulse_server.h"
#include "mp4_probe.h"
#include "stream_test_support.h"
#include "test_support.h"
#include "wav_file.h"

namespace musetalk::test {
namespace {

constexpr int kRate = 48000;
constexpr int kBursts = 6;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(StreamMicrophone, FakeMicDrivesTheStreamAndTheVoiceLeavesWithTheVideoLatency) {
  const std::string missing = PulseServer::missing_tools();
  if (!missing.empty()) GTEST_SKIP() << "needs " << missing;
  PulseServer pulse;  // default source fakemic.monitor, default sink voice
  TempDir dir;
  const std::string wav = dir.file("bursts.wav");
  BurstPattern pattern;
  pattern.count = kBursts;
  write_wav(wav, burst_signal(pattern, kRate), kRate);
  const std::string mp4 = dir.file("mic.mp4"), log = dir.file("tool.log");
  const std::string recording = dir.file("both.raw");

  const pid_t recorder = pulse.spawn({"parec", "-d", "both.monitor", "--raw", "--format=float32le",
                                      "--rate=48000", "--channels=2", "--latency-msec=10"},
                                     recording);
  const std::string command = std::string("exec ") + MUSETALK_TOOL + " stream --avatar " +
                              sample_dir() + "/avatar --models " + tiny_models_dir() +
                              " --input mic --voice-out default --latency-ms 800 --output " + mp4 +
                              " 2>&1";
  const pid_t tool = pulse.spawn({"sh", "-c", command}, log);
  // Ready once it says how to stop it (models loaded, microphone and voice running).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (read_text(log).find("Ctrl-C stops") == std::string::npos) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << read_text(log);
    int status = 0;
    ASSERT_EQ(waitpid(tool, &status, WNOHANG), 0) << "the tool ended: " << read_text(log);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::smatch reported;
  const std::string text = read_text(log);
  ASSERT_TRUE(std::regex_search(text, reported, std::regex("latency ([0-9]+) ms"))) << text;
  const double latency_ms = std::stod(reported[1]);
  EXPECT_EQ(latency_ms, 800);

  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(pulse.run({"paplay", "-d", "fakemic", wav}), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(latency_ms) + 700));
  pulse.stop(tool);  // Ctrl-C: finishes the MP4
  pulse.stop(recorder);

  const std::vector<float> both = read_float32_file(recording);
  const std::vector<int64_t> in_onsets = burst_onsets(both, kRate, 2, 0);
  const std::vector<int64_t> out_onsets = burst_onsets(both, kRate, 2, 1);
  ASSERT_EQ(in_onsets.size(), static_cast<size_t>(kBursts)) << "bursts into the fake microphone";
  ASSERT_EQ(out_onsets.size(), static_cast<size_t>(kBursts)) << read_text(log);
  for (int b = 0; b < kBursts; ++b) {
    const double delay_ms = (out_onsets[b] - in_onsets[b]) * 1000.0 / kRate;
    std::printf("burst %d: voice out %.1f ms after it came in (reported latency %.0f ms)\n", b,
                delay_ms, latency_ms);
    EXPECT_NEAR(delay_ms, latency_ms, 20.0) << "burst " << b;
  }
  const Mp4Info info = probe_mp4(mp4);
  EXPECT_GT(info.video_packets, 25 * 3) << read_text(log);
  EXPECT_NEAR(info.audio_seconds, info.video_seconds, 1.0 / 25);
}

}  // namespace
}  // namespace musetalk::test
