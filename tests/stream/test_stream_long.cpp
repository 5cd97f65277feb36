// An hour of voice through a live session on a clock 100 times faster than real time: memory
// must not grow with the stream (bounded ring, bounded queues, no history), nor the cost of a
// hop. On that clock one hop of the tiny models takes minutes (more on a busy machine), so the
// session runs with a 25-minute latency and a 30-minute input ring: it skips the hops it cannot
// finish in time and runs one every few minutes of the hour, each on audio minutes old.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "stream/stream_session.h"
#include "stream_test_support.h"
#include "tiny_model_set.h"

namespace musetalk::stream {
namespace {

// Resident set size of this process, in KiB (VmRSS in /proc/self/status).
int64_t rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      int64_t kib = 0;
      status >> kib;
      return kib;
    }
    status.ignore(1 << 10, '\n');
  }
  return -1;
}

class RssSamplingOutput : public FrameOutput {
 public:
  void write(const FrameView& frame) override {
    ++frames;
    audio_samples += frame.audio_samples;
    if (frame.index % (25 * 60 * 5) == 0) rss.push_back(rss_kib());  // every 5 min of timeline
  }
  int64_t frames = 0, audio_samples = 0;
  std::vector<int64_t> rss;
};

TEST(StreamLong, AnHourOfVoiceKeepsMemoryFlat) {
  ScaledClock clock(100.0);
  StreamSettings settings;
  settings.latency_ms = 25 * 60 * 1000;
  settings.input_buffer_ms = 30 * 60 * 1000;
  std::vector<std::pair<int64_t, double>> hops;  // first frame, ms on the clock
  settings.after_hop = [&](int64_t first, double ms) { hops.push_back({first, ms}); };
  StreamSession session(test::shared_tiny_models(), test::sample_avatar().session, settings, clock);
  session.warm_up();
  std::thread feeder([&] {
    // Speech-like noise bursts (0.8 s on, 0.4 s off), generated chunk by chunk.
    std::minstd_rand noise(5);
    std::uniform_real_distribution<float> amplitude(-0.3f, 0.3f);
    std::vector<float> chunk(320);
    const int64_t chunks = int64_t{3600} * 50;
    for (int64_t c = 0; c < chunks; ++c) {
      const bool on = (c % 60) < 40;
      for (float& s : chunk) s = on ? amplitude(noise) : 0.0f;
      const int64_t pts = c * 20000000;
      clock.sleep_until_ns(pts + 20000000);
      session.push_audio(pts, chunk.data(), chunk.size());
    }
    session.end_of_input();
  });
  RssSamplingOutput out;
  const StreamStats stats = session.run(out);
  feeder.join();

  EXPECT_EQ(out.frames, int64_t{3600} * 25);
  EXPECT_EQ(out.audio_samples, int64_t{3600} * 16000);
  ASSERT_GE(out.rss.size(), 12u);
  std::string trace;
  for (int64_t kib : out.rss) trace += std::to_string(kib / 1024) + " ";
  std::printf("RSS every 5 min of stream (MiB): %s\n", trace.c_str());
  std::printf("hops run %lld, skipped %lld, frames speech %lld idle %lld filler %lld\n",
              static_cast<long long>(stats.hops), static_cast<long long>(stats.hops_skipped),
              static_cast<long long>(stats.speech), static_cast<long long>(stats.idle),
              static_cast<long long>(stats.filler));
  // From minute 15 (the first hops have allocated what hops need) to minute 60: no growth
  // beyond noise. An hour of 16 kHz float audio alone is 220 MiB, of Whisper states 1.4 GB.
  EXPECT_LT(out.rss.back() - out.rss[3], 24 * 1024) << trace;
  // Hops ran all through the hour, and the last ones cost what the first ones did.
  ASSERT_GE(hops.size(), 6u);
  EXPECT_GT(hops.back().first, 30 * 60 * 25);
  // Medians of the first and last thirds (the first hop pays for set-up): robust to the other
  // test ctest runs beside this one. A cost growing with the stream, as a whole-history
  // re-encode's does, would be tens of times larger at the end.
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const size_t third = hops.size() / 3;
  std::vector<double> first_third, last_third;
  for (size_t i = 1; i <= third; ++i) first_third.push_back(hops[i].second);
  for (size_t i = hops.size() - third; i < hops.size(); ++i) last_third.push_back(hops[i].second);
  const double early = median(first_third), late = median(last_third);
  std::printf("hop cost early %.0f s, late %.0f s (on the 100x clock), ratio %.2f\n", early / 1e3,
              late / 1e3, late / early);
  EXPECT_LT(late / early, 2.0);
}

}  // namespace
}  // namespace musetalk::stream
