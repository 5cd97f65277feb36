#include "stream/sliding_features.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "audio/audio_features.h"
#include "audio/log_mel.h"
#include "files/error.h"

namespace musetalk::stream {
namespace {

using audio::kEncoderStepsPerSecond;
using audio::kSamplesPerStep;

int64_t steps_for_ms(int64_t ms) {
  return (ms * kEncoderStepsPerSecond + 999) / 1000;
}

// The stream step at which frame f's time falls.
int64_t frame_step(int fps, int64_t f) {
  return static_cast<int64_t>(
      std::floor(static_cast<double>(f) * kEncoderStepsPerSecond / static_cast<double>(fps)));
}

audio::LogMelOptions mel_options(const nn::WhisperEncoder& encoder) {
  audio::LogMelOptions options;
  options.n_mels = encoder->config().num_mel_bins;
  return options;
}

}  // namespace

int SlidingFeatures::min_lookahead_ms(int fps) {
  // The last step frame f's window reads, past the step of its own time, in 20 ms steps.
  const audio::StepRange range = audio::window_steps(fps, 0, 1);
  return static_cast<int>(range.end * 1000 / kEncoderStepsPerSecond);
}

SlidingFeatures::SlidingFeatures(nn::WhisperEncoder& encoder,
                                 const SlidingFeatureSettings& settings, int64_t max_hop_frames)
    : encoder_(encoder), settings_(settings) {
  if (settings.fps <= 0) {
    throw Error("fps " + std::to_string(settings.fps), "is not a frame rate", "use 1 to 240");
  }
  const int least = min_lookahead_ms(settings.fps);
  if (settings.lookahead_ms < least) {
    throw Error("lookahead " + std::to_string(settings.lookahead_ms) + " ms",
                "is shorter than the " + std::to_string(least) + " ms of audio each frame's " +
                    "Whisper window reads ahead at " + std::to_string(settings.fps) + " fps",
                "use a lookahead of at least " + std::to_string(least) + " ms");
  }
  if (settings.left_context_ms < 0) {
    throw Error("left context " + std::to_string(settings.left_context_ms) + " ms", "is negative",
                "use 0 or more");
  }
  left_steps_ = steps_for_ms(settings.left_context_ms);
  lookahead_steps_ = steps_for_ms(settings.lookahead_ms);
  input_steps_ = encoder->config().max_source_positions;
  const audio::StepRange hop = audio::window_steps(settings.fps, 0, max_hop_frames);
  const int64_t span =
      left_steps_ + (frame_step(settings.fps, max_hop_frames - 1) + lookahead_steps_ - hop.begin);
  if (span > input_steps_) {
    throw Error("left context " + std::to_string(settings.left_context_ms) + " ms + lookahead " +
                    std::to_string(settings.lookahead_ms) + " ms",
                "with a hop of " + std::to_string(max_hop_frames) + " frames spans " +
                    std::to_string(span * 1000 / kEncoderStepsPerSecond) +
                    " ms, more than the Whisper encoder's " +
                    std::to_string(input_steps_ * 1000 / kEncoderStepsPerSecond) + " ms input",
                "shorten the left context or the lookahead");
  }
  const torch::Tensor weight = encoder->parameters().front();
  const audio::LogMelTables tables =
      audio::LogMelTables::make(mel_options(encoder), weight.device());
  mel_filters_ = tables.filters;
  window_ = tables.window;
}

int64_t SlidingFeatures::samples_needed(int64_t last) const {
  return (frame_step(settings_.fps, last) + lookahead_steps_) * kSamplesPerStep;
}

int64_t SlidingFeatures::first_sample_read(int64_t first) const {
  const audio::StepRange range = audio::window_steps(settings_.fps, first, 1);
  return std::max<int64_t>(0, range.begin - left_steps_) * kSamplesPerStep;
}

torch::Tensor SlidingFeatures::windows(const AudioRing& ring, int64_t first, int64_t count,
                                       int64_t end_samples) {
  const int64_t last = first + count - 1;
  const int64_t end_step = frame_step(settings_.fps, last) + lookahead_steps_;
  // At the stream's start the window starts at step 0, as offline's first segment does.
  int64_t begin_step = first_sample_read(first) / kSamplesPerStep;
  begin_step = std::max(begin_step, end_step - input_steps_);
  const int64_t begin = begin_step * kSamplesPerStep;
  const int64_t end = std::min(end_step * kSamplesPerStep, end_samples);

  const torch::Tensor weight = encoder_->parameters().front();
  std::vector<float> samples(static_cast<size_t>(std::max<int64_t>(0, end - begin)));
  if (!samples.empty()) ring.read(begin, end, samples.data());
  torch::Tensor audio =
      torch::from_blob(samples.data(), {static_cast<int64_t>(samples.size())}, torch::kFloat32)
          .to(weight.device());
  const audio::LogMelOptions options = mel_options(encoder_);
  torch::Tensor mel = audio::log_mel_segments(audio, options, {window_, mel_filters_});
  torch::Tensor hidden = encoder_->forward(mel.narrow(0, 0, 1).to(weight.scalar_type())).squeeze(0);
  hidden = hidden.narrow(0, 0, std::min(hidden.size(0), end_step - begin_step));
  // Offline trims the states to floor(L / 320) steps of the audio; past the input's end the
  // windows read zeros the same way.
  const int64_t audio_end_step = end_samples == std::numeric_limits<int64_t>::max()
                                     ? std::numeric_limits<int64_t>::max()
                                     : end_samples / kSamplesPerStep;
  return audio::frame_windows_at(hidden, begin_step, audio_end_step, settings_.fps, first, count);
}

}  // namespace musetalk::stream
