// The audio features at every frame rate `render --fps` accepts (1 to 240) and clip lengths from
// a few frames to exactly one 30 s Whisper segment: one window per video frame, each the ten
// encoder steps its frame reads, zeros outside the audio. Upstream MuseTalk's windowing
// (musetalk/utils/audio_processor.py get_whisper_chunk) runs out of padding from 50 fps on.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "audio/audio_features.h"
#include "nn/whisper_encoder.h"

namespace musetalk::audio {
namespace {

const std::vector<int64_t> kRates = {1, 24, 25, 30, 50, 51, 60, 120, 240};

// Samples giving `frames` whole frames at fps (the shortest such clip).
int64_t samples_for_frames(int64_t frames, int64_t fps) {
  return (frames * 16000 + fps - 1) / fps;
}

// Clip lengths in samples: a few frames, one frame exactly, shorter than a Whisper segment,
// exactly one 30 s segment, and just past it.
std::vector<int64_t> clip_lengths(int64_t fps) {
  return {samples_for_frames(1, fps), samples_for_frames(3, fps), 52800, 480000, 480000 + 3210};
}

// hidden[t, l, :] = 1000 (t + 1) + l: every token names its encoder step and hidden state.
torch::Tensor numbered_hidden(int64_t steps, int64_t states, int64_t d) {
  torch::Tensor t = torch::arange(1, steps + 1, torch::kFloat32).view({steps, 1, 1}) * 1000;
  torch::Tensor l = torch::arange(states, torch::kFloat32).view({1, states, 1});
  return (t + l).expand({steps, states, d}).contiguous();
}

// Checks windows (frames, 10 * states, d) against the steps each frame reads.
void expect_window_steps(const torch::Tensor& windows, int64_t steps, int64_t states, int64_t fps) {
  const int64_t pad = (50 + fps - 1) / fps;
  auto w = windows.accessor<float, 3>();
  for (int64_t f = 0; f < windows.size(0); ++f) {
    const int64_t first = f * 50 / fps - 2 * pad;
    for (int64_t t = 0; t < 10; ++t) {
      const int64_t step = first + t;
      for (int64_t l = 0; l < states; ++l) {
        const float want = step < 0 || step >= steps ? 0.0f : 1000.0f * (step + 1) + l;
        ASSERT_EQ(w[f][states * t + l][0], want) << "frame " << f << " step " << t;
      }
    }
  }
}

TEST(FrameRates, EveryAcceptedRateGivesOneWindowPerFrame) {
  torch::InferenceMode inference;
  const int64_t states = 2, d = 1;
  for (int64_t fps : kRates) {
    for (int64_t samples : clip_lengths(fps)) {
      SCOPED_TRACE(std::to_string(fps) + " fps, " + std::to_string(samples) + " samples");
      const int64_t steps = samples * 50 / 16000;
      const torch::Tensor hidden = numbered_hidden(steps, states, d);
      const int64_t frames = frame_count(samples, fps);
      ASSERT_GE(frames, 1);
      const torch::Tensor windows = frame_windows(hidden, samples, fps);
      ASSERT_EQ(windows.sizes(), (std::vector<int64_t>{frames, 10 * states, d}));
      expect_window_steps(windows, steps, states, fps);
      // From 50 fps on the last frame's window reaches past the audio's end, where upstream's
      // padding runs out: zeros here, not an error.
      if (fps >= 50) {
        EXPECT_EQ(windows[frames - 1][10 * states - 1].abs().sum().item<float>(), 0.0f);
      }
    }
  }
}

TEST(FrameRates, BatchByBatchWindowsMatchTheWholeClipAtHighRates) {
  torch::InferenceMode inference;
  const int64_t samples = 16000 * 2 + 77;
  const torch::Tensor hidden = numbered_hidden(samples * 50 / 16000, 5, 3);
  for (int64_t fps : {50, 51, 60, 120, 240}) {
    const torch::Tensor whole = frame_windows(hidden, samples, fps);
    const int64_t frames = frame_count(samples, fps);
    for (int64_t first = 0; first < frames; first += 7) {
      const int64_t n = std::min<int64_t>(7, frames - first);
      EXPECT_TRUE(frame_windows(hidden, samples, fps, first, n).equal(whole.narrow(0, first, n)))
          << fps << " fps, frames from " << first;
    }
  }
}

TEST(FrameRates, WhisperFeaturesOfRealLengthsWindowAtEveryRate) {
  torch::InferenceMode inference;
  torch::manual_seed(0);
  nn::WhisperConfig config;  // whisper-tiny's layout, shrunk: the windowing does not care
  config.d_model = 8;
  config.encoder_layers = 1;
  config.encoder_attention_heads = 2;
  config.encoder_ffn_dim = 16;
  nn::WhisperEncoder encoder(config);
  encoder->eval();
  for (int64_t samples : {int64_t{16000 / 25 * 3}, int64_t{52800}, int64_t{480000}}) {
    const torch::Tensor audio = torch::randn({samples}) * 0.1;
    const torch::Tensor hidden = whisper_hidden_states(encoder, audio);
    ASSERT_EQ(hidden.size(0), samples * 50 / 16000) << samples;
    for (int64_t fps : kRates) {
      SCOPED_TRACE(std::to_string(fps) + " fps, " + std::to_string(samples) + " samples");
      const torch::Tensor windows = frame_windows(hidden, samples, fps);
      EXPECT_EQ(windows.sizes(),
                (std::vector<int64_t>{frame_count(samples, fps), 10 * hidden.size(1), 8}));
      EXPECT_TRUE(windows.isfinite().all().item<bool>());
    }
  }
}

}  // namespace
}  // namespace musetalk::audio
