// Whisper audio-path pieces checked on their own: the Slaney filter bank against the one Whisper
// ships, the per-frame window layout of MuseTalk musetalk/utils/audio_processor.py
// AudioProcessor.get_whisper_chunk on features whose values name their step, the independence of
// 30 s segments, and the checkpoint name mapping.
#include <gtest/gtest.h>

#include "audio/audio_features.h"
#include "audio/log_mel.h"
#include "nn/whisper_encoder.h"
#include "test_support.h"
#include "torch_io/strict_load.h"

namespace musetalk::audio {
namespace {

TEST(WhisperMelFilters, MatchWhisperShippedBank) {
  const StateDict file = load_state_dict(test::fixtures_dir() + "/whisper_mel_filters.safetensors");
  const torch::Tensor& expected = file["mel_filters"];
  const torch::Tensor got = slaney_mel_filters(16000, 400, expected.size(0));
  ASSERT_EQ(got.sizes(), expected.sizes());
  EXPECT_LE((got - expected).abs().max().item<double>(), 1e-6);
}

// hidden[t, l, :] = 1000 (t + 1) + l, so every token names its step and hidden state.
torch::Tensor numbered_hidden(int64_t steps, int64_t states, int64_t d) {
  torch::Tensor t = torch::arange(1, steps + 1, torch::kFloat32).view({steps, 1, 1}) * 1000;
  torch::Tensor l = torch::arange(states, torch::kFloat32).view({1, states, 1});
  return (t + l).expand({steps, states, d}).contiguous();
}

void expect_windows(int64_t num_samples, int64_t fps, int64_t expected_frames) {
  SCOPED_TRACE("fps " + std::to_string(fps));
  const int64_t steps = num_samples / 320, states = 5, d = 3;
  const torch::Tensor windows = frame_windows(numbered_hidden(steps, states, d), num_samples, fps);
  ASSERT_EQ(windows.sizes(), (std::vector<int64_t>{expected_frames, 10 * states, d}));
  const int64_t pad = (50 + fps - 1) / fps;
  auto w = windows.accessor<float, 3>();
  for (int64_t f = 0; f < expected_frames; ++f) {
    const int64_t first = f * 50 / fps - 2 * pad;  // unpadded step of the window's start
    for (int64_t t = 0; t < 10; ++t) {
      const int64_t step = first + t;
      for (int64_t l = 0; l < states; ++l) {
        const float want = step < 0 || step >= steps ? 0.0f : 1000.0f * (step + 1) + l;
        ASSERT_EQ(w[f][states * t + l][0], want)
            << "frame " << f << " step " << t << " state " << l;
      }
    }
  }
  // The first frame starts before the audio and the last one runs past its end.
  EXPECT_EQ(windows[0][0].abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(windows[expected_frames - 1][10 * states - 1].abs().sum().item<float>(), 0.0f);
}

TEST(FrameWindows, OneWindowPerVideoFrameWithZeroEdges) {
  torch::InferenceMode inference;
  const int64_t samples = 52800;  // 3.3 s
  expect_windows(samples, 25, 82);
  expect_windows(samples, 30, 99);
  EXPECT_EQ(frame_count(samples, 25), 82);
  EXPECT_EQ(frame_count(33 * 16000, 25), 825);
}

nn::WhisperConfig tiny_config() {
  nn::WhisperConfig c;
  c.d_model = 8;
  c.encoder_layers = 1;
  c.encoder_attention_heads = 2;
  c.encoder_ffn_dim = 16;
  return c;
}

TEST(WhisperHiddenStates, SegmentsAreEncodedIndependently) {
  torch::InferenceMode inference;
  torch::manual_seed(0);
  nn::WhisperEncoder encoder(tiny_config());
  const int64_t segment = 480000;
  const torch::Tensor samples = torch::randn({33 * 16000}) * 0.1;  // 33 s: two segments
  const torch::Tensor tail = samples.narrow(0, segment, samples.size(0) - segment);

  LogMelOptions options;
  const torch::Tensor mel = log_mel_segments(samples, options);
  ASSERT_EQ(mel.sizes(), (std::vector<int64_t>{2, 80, 3000}));
  EXPECT_TRUE(torch::allclose(mel[1], log_mel_segments(tail, options)[0], 1e-5, 1e-5));

  const torch::Tensor hidden = whisper_hidden_states(encoder, samples);
  ASSERT_EQ(hidden.sizes(), (std::vector<int64_t>{1650, 2, 8}));
  const torch::Tensor tail_hidden = whisper_hidden_states(encoder, tail);
  ASSERT_EQ(tail_hidden.size(0), 150);
  EXPECT_TRUE(torch::allclose(hidden.narrow(0, 1500, 150), tail_hidden, 1e-4, 1e-4));
  EXPECT_EQ(frame_windows(hidden, samples.size(0), 25).size(0), 825);
}

TEST(WhisperNames, EncoderKeysLoadAndTheRestIsDropped) {
  nn::WhisperEncoder encoder(tiny_config());
  for (const std::string prefix : {"model.encoder.", "encoder."}) {
    StateDict file;
    for (const auto& p : encoder->named_parameters()) {
      file.insert(prefix + p.key(), torch::zeros_like(p.value()));
    }
    file.insert("model.decoder.layers.0.fc1.weight", torch::zeros({16, 8}));
    file.insert("proj_out.weight", torch::zeros({51865, 8}));
    EXPECT_NO_THROW(load_strict(*encoder, file, prefix, nn::whisper_name_mapper())) << prefix;
  }
}

}  // namespace
}  // namespace musetalk::audio
