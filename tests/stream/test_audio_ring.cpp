// The session's input ring and voice activity detector.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "stream/audio_ring.h"
#include "stream/voice_activity.h"

namespace musetalk::stream {
namespace {

std::vector<float> ramp(size_t n, float start) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

TEST(AudioRing, ReadsByTimelinePositionWithZerosOutside) {
  AudioRing ring(100);
  const auto a = ramp(40, 1);
  ring.push(5000, a.data(), a.size());
  EXPECT_EQ(ring.origin_ns(), 5000);
  EXPECT_EQ(ring.end(), 40);
  std::vector<float> out(10);
  ring.read(-5, 5, out.data());
  EXPECT_EQ(out, (std::vector<float>{0, 0, 0, 0, 0, 1, 2, 3, 4, 5}));
  ring.read(35, 45, out.data());
  EXPECT_EQ(out, (std::vector<float>{36, 37, 38, 39, 40, 0, 0, 0, 0, 0}));
  EXPECT_EQ(sample_pts_ns(5000, 16000), 5000 + 1000000000);
}

TEST(AudioRing, OverflowDropsTheOldestAndCountsIt) {
  AudioRing ring(100);
  const auto a = ramp(80, 1);
  ring.push(0, a.data(), a.size());
  ring.release(30);                        // the reader is done with 0..29
  ring.push(5000000, a.data(), a.size());  // 160 in all: 0..59 overwritten, 30..59 unread
  EXPECT_EQ(ring.end(), 160);
  EXPECT_EQ(ring.dropped(), 30);
  std::vector<float> out(3);
  ring.read(58, 61, out.data());
  EXPECT_EQ(out, (std::vector<float>{0, 0, 61}));
}

TEST(AudioRing, AGapInTheTimestampsBecomesSilence) {
  AudioRing ring(16000, 100000000);
  const auto a = ramp(160, 1);  // 10 ms
  ring.push(0, a.data(), a.size());
  ring.push(10000000 + 50000000, a.data(), a.size());  // 50 ms late: within tolerance
  EXPECT_EQ(ring.end(), 320);
  ring.push(20000000 + 500000000, a.data(), a.size());  // 500 ms late: a pause
  EXPECT_EQ(ring.gap_filled(), 8000);
  EXPECT_EQ(ring.end(), 320 + 8000 + 160);
  std::vector<float> out(2);
  ring.read(320 + 7999, 320 + 8001, out.data());
  EXPECT_EQ(out, (std::vector<float>{0, 1}));
}

TEST(AudioRing, WaitForReturnsOnDataOrClose) {
  AudioRing ring(100);
  EXPECT_EQ(ring.wait_for(10, 1000000), 0);
  ring.close();
  EXPECT_TRUE(ring.closed());
  EXPECT_EQ(ring.wait_for(10, 1000000000), 0);  // returns at once when closed
  const auto a = ramp(5, 1);
  ring.push(0, a.data(), a.size());  // ignored after close
  EXPECT_EQ(ring.end(), 0);
}

TEST(VoiceActivity, HysteresisAndHangover) {
  VoiceActivitySettings settings;
  settings.on_dbfs = -40;
  settings.off_dbfs = -50;
  settings.hangover_frames = 2;
  VoiceActivity vad(settings);
  EXPECT_FALSE(vad.update(-45));  // between the thresholds: stays silent
  EXPECT_TRUE(vad.update(-30));
  EXPECT_TRUE(vad.update(-45));  // between: stays speaking
  EXPECT_TRUE(vad.update(-60));  // quiet 1
  EXPECT_TRUE(vad.update(-60));  // quiet 2
  EXPECT_FALSE(vad.update(-60));
  const std::vector<float> tone(160, 0.1f);
  EXPECT_NEAR(rms_dbfs(tone.data(), tone.size()), -20.0, 1e-6);
  const std::vector<float> zero(160, 0.0f);
  EXPECT_EQ(rms_dbfs(zero.data(), zero.size()), -200);
}

}  // namespace
}  // namespace musetalk::stream
