// audio::SegmentFeatureStream against the offline features it replaces in render():
// whisper_hidden_states + frame_windows of the whole clip, bit for bit, at several frame rates,
// for clips longer than one 30 s segment, of whole segments and shorter than one, with the
// samples arriving in uneven pieces; and the hidden states it holds stay within two segments.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "audio/audio_features.h"
#include "audio/segment_features.h"
#include "tiny_model_set.h"

namespace musetalk::audio {
namespace {

constexpr int64_t kRate = 16000;
constexpr int64_t kSegmentSteps = 1500;  // 30 s of 20 ms encoder steps

std::vector<float> noise(int64_t samples, unsigned seed) {
  std::mt19937 random(seed);
  std::normal_distribution<float> normal(0.0f, 0.2f);
  std::vector<float> out(static_cast<size_t>(samples));
  for (float& s : out) s = normal(random);
  return out;
}

nn::WhisperEncoder& whisper() {
  return test::shared_tiny_models().whisper;
}

// The offline hidden states of each clip, computed once per test program (0.6 s per segment).
const torch::Tensor& offline_hidden(const std::vector<float>& samples) {
  static std::map<const float*, torch::Tensor> cache;
  auto it = cache.find(samples.data());
  if (it != cache.end()) return it->second;
  torch::InferenceMode inference;
  const torch::Tensor t = torch::from_blob(const_cast<float*>(samples.data()),
                                           {static_cast<int64_t>(samples.size())}, torch::kFloat32);
  return cache[samples.data()] = whisper_hidden_states(whisper(), t);
}

// Feeds samples to a stream in pieces of the given sizes (cycled), taking the windows of every
// ready frame in batches of `batch` as render() does, and returns all windows in frame order.
// Checks along the way that the stream never holds more than two segments' hidden states.
torch::Tensor stream_windows(const std::vector<float>& samples, int64_t fps,
                             const std::vector<size_t>& pieces, int64_t batch) {
  SegmentFeatureStream stream(whisper(), fps);
  std::vector<torch::Tensor> out;
  int64_t next = 0;
  auto take = [&](bool all) {
    while (stream.frames_ready() - next >= (all ? 1 : batch)) {
      const int64_t n = std::min(batch, stream.frames_ready() - next);
      out.push_back(stream.windows(next, n));
      next += n;
      EXPECT_LE(stream.steps_held(), 2 * kSegmentSteps) << "at frame " << next;
    }
  };
  size_t at = 0, k = 0;
  while (at < samples.size()) {
    const size_t n = std::min(pieces[k++ % pieces.size()], samples.size() - at);
    stream.push(samples.data() + at, n);
    at += n;
    EXPECT_LE(stream.frames_ready(), frame_count(static_cast<int64_t>(at), fps));
    take(false);
  }
  EXPECT_FALSE(stream.finished());
  stream.finish();
  EXPECT_TRUE(stream.finished());
  EXPECT_EQ(stream.frames_ready(), frame_count(static_cast<int64_t>(samples.size()), fps));
  EXPECT_EQ(stream.frame_count(), stream.frames_ready());
  take(true);
  EXPECT_EQ(next, stream.frame_count());
  if (out.empty()) return torch::Tensor();
  return torch::cat(out, 0);
}

void expect_same_as_offline(const std::vector<float>& samples, int64_t fps,
                            const std::vector<size_t>& pieces, int64_t batch = 8) {
  SCOPED_TRACE(std::to_string(fps) + " fps, " + std::to_string(samples.size()) + " samples");
  const auto count = static_cast<int64_t>(samples.size());
  const torch::Tensor expected = frame_windows(offline_hidden(samples), count, fps);
  const torch::Tensor got = stream_windows(samples, fps, pieces, batch);
  ASSERT_TRUE(got.defined());
  ASSERT_EQ(got.sizes(), expected.sizes());
  EXPECT_EQ(got.scalar_type(), expected.scalar_type());
  EXPECT_TRUE(torch::equal(got, expected))
      << "largest difference " << (got - expected).abs().max().item<float>();
}

// 65 s: two whole segments and a 5 s one; frames near 30 s and 60 s read both sides.
const std::vector<float>& clip_65s() {
  static const std::vector<float> clip = noise(65 * kRate + 123, 1);
  return clip;
}

TEST(SegmentFeatureStream, EqualsTheOfflineWindowsAt25Fps) {
  expect_same_as_offline(clip_65s(), 25, {7919, 16000, 480000, 311});
}

TEST(SegmentFeatureStream, EqualsTheOfflineWindowsAt30Fps) {
  expect_same_as_offline(clip_65s(), 30, {4096});
}

TEST(SegmentFeatureStream, EqualsTheOfflineWindowsAt60Fps) {
  expect_same_as_offline(clip_65s(), 60, {100000, 1}, /*batch=*/3);
}

// At 1 fps the first windows lie before the audio and a window spans 50 steps of stride.
TEST(SegmentFeatureStream, EqualsTheOfflineWindowsAtLowAndHighRates) {
  expect_same_as_offline(clip_65s(), 1, {65536});
  expect_same_as_offline(clip_65s(), 240, {65536}, /*batch=*/16);
}

// Exactly two segments: no third one, and the last frames read past the audio's end.
TEST(SegmentFeatureStream, ClipOfWholeSegments) {
  static const std::vector<float> clip = noise(60 * kRate, 2);
  expect_same_as_offline(clip, 25, {32000});
}

// Shorter than one segment: every frame waits for the end of the audio.
TEST(SegmentFeatureStream, ClipShorterThanASegment) {
  static const std::vector<float> clip = noise(3 * kRate + 5, 3);
  SegmentFeatureStream stream(whisper(), 25);
  stream.push(clip.data(), clip.size());
  EXPECT_EQ(stream.frames_ready(), 0) << "its only segment is not encoded before the end";
  EXPECT_EQ(stream.frame_count(), 75);
  expect_same_as_offline(clip, 25, {1000});
}

TEST(SegmentFeatureStream, FramesAreReadyAsTheirSegmentsAreEncoded) {
  const std::vector<float>& clip = clip_65s();
  SegmentFeatureStream stream(whisper(), 25);
  stream.push(clip.data(), 30 * kRate);
  EXPECT_EQ(stream.frames_ready(), 0) << "a full first segment waits: it may be the only one";
  stream.push(clip.data() + 30 * kRate, 1);
  // Frame f reads steps [2f - 4, 2f + 6): ready while 2f + 6 <= 1500.
  EXPECT_EQ(stream.frames_ready(), 748);
  EXPECT_EQ(stream.steps_held(), kSegmentSteps);
  stream.windows(0, 8);
  stream.push(clip.data() + 30 * kRate + 1, 30 * kRate - 1);
  EXPECT_EQ(stream.frames_ready(), 1498) << "the second segment is encoded as soon as it is full";
  // Frame 740 still reads the first segment (from step 1476); from frame 760 (step 1516) on no
  // frame does.
  stream.windows(740, 8);
  EXPECT_EQ(stream.steps_held(), 2 * kSegmentSteps);
  stream.windows(760, 8);
  EXPECT_EQ(stream.steps_held(), kSegmentSteps) << "the first segment is read by no later frame";
  EXPECT_THROW(stream.windows(700, 8), c10::Error) << "frames are taken in order";
  EXPECT_THROW(stream.windows(1490, 20), c10::Error) << "frames past the ready ones";
}

// Exactly 30 s: one segment, encoded alone at the end as the offline batch of one is.
TEST(SegmentFeatureStream, ClipOfOneWholeSegment) {
  static const std::vector<float> clip = noise(30 * kRate, 4);
  expect_same_as_offline(clip, 25, {480000});
}

TEST(SegmentFeatureStream, EmptyAudioHasNoFrames) {
  SegmentFeatureStream stream(whisper(), 25);
  stream.finish();
  EXPECT_EQ(stream.frames_ready(), 0);
  EXPECT_EQ(stream.windows(0, 0).size(0), 0);
  EXPECT_THROW(stream.push(nullptr, 0), c10::Error) << "push after finish";
}

}  // namespace
}  // namespace musetalk::audio
