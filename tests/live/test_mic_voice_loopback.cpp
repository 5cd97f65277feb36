// live::MicInput and live::VoiceOutput against a private PulseAudio (tests/live/pulse_server.h):
// a WAV of short bursts is played into the fake microphone, MicInput captures it, every chunk goes
// straight into VoiceOutput with delay D, and one recording of both sinks (fake microphone left,
// voice right, sample-aligned) shows each burst leaving the voice output D after it entered the
// microphone. Also: the bursts' capture times in MicInput keep the WAV's spacing.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "burst_signal.h"
#include "files/error.h"
#include "live/audio_devices.h"
#include "live/mic_input.h"
#include "live/voice_output.h"
#include "pulse_server.h"
#include "stream/clock.h"
#include "test_support.h"
#include "wav_file.h"

namespace musetalk::live {
namespace {

using test::PulseServer;
using test::TempDir;

constexpr int kRate = 48000;  // the WAV's and the recording's rate
constexpr double kFirstBurstS = 0.25;
constexpr double kBurstPeriodS = 0.5;
constexpr int kBursts = 6;

class PulseAudio : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string missing = PulseServer::missing_tools();
    if (!missing.empty()) GTEST_SKIP() << "needs " << missing;
    pulse_ = std::make_unique<PulseServer>();
  }
  void TearDown() override { pulse_.reset(); }

  // Plays the bursts into the fake microphone with MicInput -> VoiceOutput running, the voice
  // delayed by initial_delay_ns and then set to delay_ns once running; checks what the recording
  // of both sinks and MicInput's timestamps show.
  void expect_voice_delayed(int64_t initial_delay_ns, int64_t delay_ns);

  std::unique_ptr<PulseServer> pulse_;
};

TEST_F(PulseAudio, FindsDevicesByNameAndIndex) {
  PortAudioSession session;
  std::vector<AudioDevice> devices = session.devices();
  std::cout << format_device_list(devices);
  const AudioDevice* pulse = nullptr;
  for (const AudioDevice& d : devices) {
    if (d.name == "pulse") pulse = &d;
  }
  ASSERT_NE(pulse, nullptr) << "ALSA's pulse plugin (libasound2-plugins) is not listed";
  EXPECT_GT(pulse->max_input_channels, 0);
  EXPECT_GT(pulse->max_output_channels, 0);

  EXPECT_EQ(session.find("pulse", AudioDirection::Input).index, pulse->index);
  EXPECT_EQ(session.find(std::to_string(pulse->index), AudioDirection::Output).name, "pulse");
  AudioDevice input = session.find("default", AudioDirection::Input);
  EXPECT_TRUE(input.default_input);
  EXPECT_GT(input.max_input_channels, 0);
  EXPECT_TRUE(session.find("default", AudioDirection::Output).default_output);

  for (const std::string& spec : {std::string("no such device"), std::string("99")}) {
    try {
      session.find(spec, AudioDirection::Input);
      ADD_FAILURE() << "found " << spec;
    } catch (const Error& e) {
      std::cout << e.what() << "\n";
      EXPECT_EQ(e.input(), "audio input device \"" + spec + "\"");
      EXPECT_NE(e.fix().find("--list-devices"), std::string::npos);
    }
  }
}

TEST_F(PulseAudio, VoiceLeavesTheDelayAfterTheMicCapturedIt) {
  expect_voice_delayed(300000000, 300000000);
}

TEST_F(PulseAudio, AChangedDelayTakesEffect) {
  expect_voice_delayed(150000000, 220000000);
}

// A delay shorter than the way from the microphone to the speaker: the voice arrives after its
// time and VoiceOutput reports it late instead of playing it out of place.
TEST_F(PulseAudio, VoiceArrivingAfterItsTimeIsReportedLate) {
  VoiceOutput voice(VoiceOutputOptions{}, 0);
  MicInput mic(MicInputOptions{},
               [&](int64_t pts_ns, const float* s, size_t n) { voice.write(pts_ns, s, n); });
  voice.start();
  mic.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  mic.stop();
  voice.stop();
  VoiceOutput::Stats v = voice.stats();
  std::cout << "late " << v.late_samples << " of " << v.played_samples << " played\n";
  EXPECT_GT(v.late_samples, voice.device_rate() / 2);
  EXPECT_EQ(v.overflow_samples, 0);
}

// What the chunk callback throws stops capture and comes out of stop().
TEST_F(PulseAudio, MicStopRethrowsTheCallbacksError) {
  int calls = 0;
  MicInput mic(MicInputOptions{}, [&](int64_t, const float*, size_t) {
    ++calls;
    throw Error("session", "cannot take more audio", "restart it");
  });
  mic.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  try {
    mic.stop();
    ADD_FAILURE() << "no error from stop()";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), "session");
  }
  EXPECT_EQ(calls, 1);
  EXPECT_NO_THROW(mic.stop());
}

struct Chunk {
  int64_t pts_ns;
  std::vector<float> samples;
  int64_t delivered_ns;  // steady_clock when MicInput handed it over
};

void PulseAudio::expect_voice_delayed(int64_t initial_delay_ns, int64_t delay_ns) {
  TempDir dir;
  std::string wav = dir.file("bursts.wav");
  test::BurstPattern pattern;
  pattern.first_s = kFirstBurstS;
  pattern.period_s = kBurstPeriodS;
  pattern.count = kBursts;
  test::write_wav(wav, test::burst_signal(pattern, kRate), kRate);

  std::mutex mutex;
  std::vector<Chunk> chunks;
  VoiceOutput voice(VoiceOutputOptions{}, initial_delay_ns);  // PULSE_SINK=voice
  MicInput mic(MicInputOptions{}, [&](int64_t pts_ns, const float* s, size_t n) {
    voice.write(pts_ns, s, n);
    std::lock_guard<std::mutex> lock(mutex);
    chunks.push_back({pts_ns, std::vector<float>(s, s + n), stream::SteadyClock().now_ns()});
  });  // PULSE_SOURCE=fakemic.monitor
  std::cout << "mic: " << mic.device().name << " at " << mic.device_rate() << " Hz, "
            << mic.device_channels() << " channel(s); voice: " << voice.device().name << " at "
            << voice.device_rate() << " Hz, output latency " << voice.latency_s() * 1000 << " ms\n";

  std::string recording = dir.file("both.raw");
  pid_t recorder = pulse_->spawn({"parec", "-d", "both.monitor", "--raw", "--format=float32le",
                                  "--rate=48000", "--channels=2", "--latency-msec=10"},
                                 recording);
  EXPECT_FALSE(mic.active());
  voice.start();
  mic.start();
  EXPECT_TRUE(mic.active());
  EXPECT_TRUE(voice.active());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  voice.set_delay_ns(delay_ns);
  ASSERT_EQ(pulse_->run({"paplay", "-d", "fakemic", wav}), 0);
  std::this_thread::sleep_for(std::chrono::nanoseconds(delay_ns) + std::chrono::milliseconds(400));
  mic.stop();
  voice.stop();
  EXPECT_FALSE(mic.active());
  EXPECT_FALSE(voice.active());
  pulse_->stop(recorder);

  // The recording: left = what the fake microphone played, right = the voice output.
  std::vector<float> both = test::read_float32_file(recording);
  std::vector<int64_t> in = test::burst_onsets(both, kRate, 2, 0);
  std::vector<int64_t> out = test::burst_onsets(both, kRate, 2, 1);
  ASSERT_EQ(in.size(), static_cast<size_t>(kBursts)) << "bursts into the fake microphone";
  ASSERT_EQ(out.size(), static_cast<size_t>(kBursts)) << "bursts out of the voice output";
  double worst_ms = 0;
  for (int i = 0; i < kBursts; ++i) {
    double measured_ms = (out[i] - in[i]) * 1000.0 / kRate;
    double error_ms = measured_ms - delay_ns / 1e6;
    std::cout << "burst " << i << ": voice delay " << measured_ms << " ms (error " << error_ms
              << " ms)\n";
    EXPECT_LE(std::fabs(error_ms), 20.0) << "burst " << i;
    worst_ms = std::max(worst_ms, std::fabs(error_ms));
  }
  std::cout << "D = " << delay_ns / 1e6 << " ms, worst error " << worst_ms << " ms\n";

  // MicInput: a contiguous 16 kHz timeline, the bursts' capture times spaced as in the WAV.
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_FALSE(chunks.empty());
  std::vector<float> voice_16k;
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (i > 0) {
      EXPECT_EQ(chunks[i].pts_ns,
                chunks[i - 1].pts_ns +
                    static_cast<int64_t>(chunks[i - 1].samples.size()) * kVoiceSampleNs)
          << "chunk " << i;
    }
    voice_16k.insert(voice_16k.end(), chunks[i].samples.begin(), chunks[i].samples.end());
  }
  // The pts are capture times on steady_clock: a chunk is handed over after its last sample was
  // captured, and soon after (PulseAudio's capture latency, ~20 ms, and the worker's polling).
  // Not exactly after: the capture latency PulseAudio reports for a monitor source (ALSA's pulse
  // plugin passes it on as the delay, alsa-plugins pulse/pcm_pulse.c pulse_delay) can put the
  // capture time up to ~10 ms after the moment the sink rendered the sound. The output's times
  // The voice delay measured above stays exact, so the output's times are off by as much.
  std::vector<int64_t> lag_ms;
  for (const Chunk& c : chunks) {
    int64_t end_ns = c.pts_ns + static_cast<int64_t>(c.samples.size()) * kVoiceSampleNs;
    lag_ms.push_back((c.delivered_ns - end_ns) / 1000000);
  }
  std::sort(lag_ms.begin(), lag_ms.end());
  std::cout << "chunks handed over " << lag_ms.front() << " .. " << lag_ms.back()
            << " ms after their capture (median " << lag_ms[lag_ms.size() / 2] << " ms)\n";
  EXPECT_GE(lag_ms.front(), -15);
  EXPECT_LT(lag_ms[lag_ms.size() / 2], 100);

  // Burst onsets on MicInput's timeline (contiguous, so sample index x 62.5 us is pts spacing).
  std::vector<int64_t> captured = test::burst_onsets(voice_16k, kVoiceRate);
  ASSERT_EQ(captured.size(), static_cast<size_t>(kBursts)) << "bursts in MicInput's chunks";
  for (int i = 1; i < kBursts; ++i) {
    double spacing_ms = (captured[i] - captured[i - 1]) * kVoiceSampleNs / 1e6;
    EXPECT_NEAR(spacing_ms, kBurstPeriodS * 1000, 5.0) << "bursts " << i - 1 << " and " << i;
  }

  MicInput::Stats m = mic.stats();
  VoiceOutput::Stats v = voice.stats();
  std::cout << "mic: captured " << m.captured_frames << ", dropped " << m.dropped_frames
            << ", overflows " << m.overflows << ", delivered " << m.samples_delivered << " in "
            << m.chunks_delivered << " chunks\n"
            << "voice: played " << v.played_samples << " (silent " << v.silent_samples << "), late "
            << v.late_samples << ", overflow " << v.overflow_samples << ", underflows "
            << v.underflows << ", resyncs " << v.resyncs << "\n";
  EXPECT_EQ(m.dropped_frames, 0);
  EXPECT_EQ(v.late_samples, 0);
  EXPECT_EQ(v.overflow_samples, 0);
  EXPECT_GT(m.samples_delivered, kVoiceRate * 3);
}

}  // namespace
}  // namespace musetalk::live
