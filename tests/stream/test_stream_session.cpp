// The streaming session end to end with the tiny model set and the sample avatar: PTS and
// durations, parity with the offline render, idle and hand-over, overload, avatar swap, shared
// models.
#include <gtest/gtest.h>

#include <cstdio>
#include <thread>

#include "audio/audio_features.h"
#include "stream/stream_session.h"
#include "stream_test_support.h"
#include "tiny_model_set.h"

namespace musetalk::stream {
namespace {

using test::RecordingOutput;
using test::sample_avatar;
using test::sample_voice;

constexpr int64_t kFrameNs = kNanosPerSecond / 25;

// Batch 8 as render's default, so that both make the same UNet calls.
StreamSettings offline_settings() {
  StreamSettings s;
  s.realtime = false;
  s.idle = false;
  s.batch = 8;
  return s;
}

// render() of the sample voice, made once.
const std::vector<torch::Tensor>& rendered_voice() {
  static const std::vector<torch::Tensor> frames =
      test::render_frames(test::shared_tiny_models(), sample_avatar(), sample_voice(), 25, 8);
  return frames;
}

// Pushes everything at once from PTS 0, then runs to the end (realtime = false).
std::vector<test::RecordedFrame> stream_all(const std::vector<float>& samples,
                                            const StreamSettings& settings) {
  SteadyClock clock;
  StreamSession session(test::shared_tiny_models(), sample_avatar().session, settings, clock);
  session.push_audio(0, samples.data(), samples.size());
  session.end_of_input();
  RecordingOutput out(clock, true);
  session.run(out);
  EXPECT_TRUE(out.finished);
  return std::move(out.frames);
}

struct Difference {
  double mean = 0, max = 0;
};

Difference difference(const std::vector<test::RecordedFrame>& streamed,
                      const std::vector<torch::Tensor>& rendered) {
  Difference d;
  EXPECT_EQ(streamed.size(), rendered.size());
  const size_t n = std::min(streamed.size(), rendered.size());
  for (size_t i = 0; i < n; ++i) {
    torch::Tensor diff =
        (streamed[i].bgr.to(torch::kFloat32) - rendered[i].to(torch::kFloat32)).abs();
    d.mean += diff.mean().item<double>() / static_cast<double>(n);
    d.max = std::max(d.max, diff.max().item<double>());
  }
  return d;
}

TEST(StreamSession, FileStreamedOnAFastClockHasEveryFrameAndItsVoice) {
  ScaledClock clock(4.0);  // four times real time
  StreamSession session(test::shared_tiny_models(), sample_avatar().session, StreamSettings{},
                        clock);
  const std::vector<float>& voice = sample_voice();
  session.warm_up();
  int64_t closed_at_ns = 0;  // on the session's clock, just after end_of_input()
  std::thread feeder([&] {
    test::feed_in_real_time(session, clock, voice, 0);
    closed_at_ns = clock.now_ns();
  });
  RecordingOutput out(clock, false);
  const StreamStats stats = session.run(out);
  feeder.join();

  // Every frame of the voice, then none unless the input ended late: a feeder thread that a busy
  // machine ran late on the 4x clock ends the input after its last frames' time, and the session,
  // live, shows frames until it knows the voice has ended. Each such frame was begun before the
  // end (after the frame before it was written, the session looks whether the input ended).
  const int64_t expected = audio::frame_count(static_cast<int64_t>(voice.size()), 25);
  const auto shown = static_cast<int64_t>(out.frames.size());
  ASSERT_GE(shown, expected);
  for (int64_t f = expected; f < shown; ++f) {
    ASSERT_LE(out.frames[f - 1].written_at_ns, closed_at_ns)
        << "frame " << f << " of " << expected << " was begun after the input ended";
  }
  if (shown > expected) {
    std::printf("the feeder ended the input %.0f ms (4x clock) after the last frame's time\n",
                (closed_at_ns - out.frames[expected - 1].written_at_ns) / 1e6);
  }
  int64_t audio_samples = 0;
  for (int64_t f = 0; f < expected; ++f) {
    EXPECT_EQ(out.frames[f].index, f);
    EXPECT_EQ(out.frames[f].pts_ns, f * kFrameNs);
    audio_samples += static_cast<int64_t>(out.frames[f].audio.size());
    // Never shown before its time: PTS + latency on the session's clock.
    EXPECT_GE(out.frames[f].written_at_ns,
              out.frames[f].pts_ns + static_cast<int64_t>(stats.latency_ms * 1e6));
  }
  // Audio and video durations agree within one frame (here exactly: 3.2 s is 80 frames).
  EXPECT_NEAR(static_cast<double>(audio_samples) / 16000.0, expected / 25.0, 1.0 / 25);
  // The voice the frames carry is the input voice, in order.
  std::vector<float> carried;
  for (int64_t f = 0; f < expected; ++f) {
    carried.insert(carried.end(), out.frames[f].audio.begin(), out.frames[f].audio.end());
  }
  ASSERT_LE(carried.size(), voice.size());
  for (size_t i = 0; i < carried.size(); i += 997) EXPECT_EQ(carried[i], voice[i]) << i;
  EXPECT_EQ(stats.frames, shown);
  EXPECT_EQ(stats.speech + stats.idle + stats.filler, shown);
  EXPECT_GT(stats.latency_ms, 200);
}

// With left context and lookahead covering the whole clip, each hop encodes exactly the audio
// the offline render encodes, so the frames are the render's frames, byte for byte.
TEST(StreamSession, WholeClipContextReproducesTheRenderExactly) {
  StreamSettings settings = offline_settings();
  settings.features.left_context_ms = 10000;
  settings.features.lookahead_ms = 5000;
  const std::vector<float>& voice = sample_voice();
  const auto streamed = stream_all(voice, settings);
  const Difference d = difference(streamed, rendered_voice());
  EXPECT_EQ(d.max, 0.0);
}

// The default sliding window against the offline render of the same audio: the difference is
// the price of a short right context (bench/RESULTS.md has the table behind the defaults).
TEST(StreamSession, DefaultWindowStaysCloseToTheRender) {
  const auto streamed = stream_all(sample_voice(), offline_settings());
  const Difference d = difference(streamed, rendered_voice());
  std::printf("streamed vs render at the defaults: mean |diff| %.3f, max %.0f (of 255)\n", d.mean,
              d.max);
  EXPECT_LT(d.mean, 1.0);
}

}  // namespace
}  // namespace musetalk::stream
