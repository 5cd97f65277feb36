#include "audio/audio_features.h"

#include <algorithm>
#include <cmath>

#include "audio/log_mel.h"

namespace musetalk::audio {
namespace {

constexpr int64_t kSampleRate = 16000;
constexpr int64_t kPadLeft = 2, kPadRight = 2;  // MuseTalk's audio_padding_length_{left,right}
constexpr int64_t kWindow = 2 * (kPadLeft + kPadRight + 1);

// The reference evaluates floor(L / sr * rate) in Python floats; the same double expression here
// gives the same integer even where L / sr is not exactly representable.
int64_t steps_at_rate(int64_t num_samples, int64_t rate) {
  return static_cast<int64_t>(
      std::floor(static_cast<double>(num_samples) / static_cast<double>(kSampleRate) *
                 static_cast<double>(rate)));
}

}  // namespace

int64_t frame_count(int64_t num_samples, int64_t fps) {
  return steps_at_rate(num_samples, fps);
}

torch::Tensor whisper_hidden_states(nn::WhisperEncoder& encoder, const torch::Tensor& samples) {
  LogMelOptions options;
  options.n_mels = encoder->config().num_mel_bins;
  // The log-mel runs in float32 on the encoder's device; the encoder in its own dtype.
  const torch::Tensor weight = encoder->parameters().front();
  torch::Tensor mel = log_mel_segments(samples.to(weight.device(), torch::kFloat32), options);
  std::vector<torch::Tensor> parts;
  for (int64_t s = 0; s < mel.size(0); ++s) {
    parts.push_back(encoder->forward(mel.narrow(0, s, 1).to(weight.scalar_type())).squeeze(0));
  }
  torch::Tensor hidden = torch::cat(parts, 0);  // (1500 * S, layers + 1, d)
  return hidden.narrow(
      0, 0, std::min(hidden.size(0), steps_at_rate(samples.size(0), kEncoderStepsPerSecond)));
}

torch::Tensor frame_windows(const torch::Tensor& hidden, int64_t num_samples, int64_t fps) {
  return frame_windows(hidden, num_samples, fps, 0, frame_count(num_samples, fps));
}

torch::Tensor frame_windows(const torch::Tensor& hidden, int64_t num_samples, int64_t fps,
                            int64_t first, int64_t count) {
  TORCH_CHECK(fps > 0, "frame_windows: fps must be positive, got ", fps);
  const int64_t frames = frame_count(num_samples, fps);
  TORCH_CHECK(first >= 0 && count >= 0 && first + count <= frames, "frame_windows: frames [", first,
              ", ", first + count, ") of ", frames);
  return frame_windows_at(hidden, 0, hidden.size(0), fps, first, count);
}

namespace {

// The window of frame f starts at step floor(f * 50 / fps) - 2 * pad, so it leans towards later
// audio, and every step outside the audio reads as zero. MuseTalk
// (musetalk/utils/audio_processor.py get_whisper_chunk) pads the features so that every frame's
// window exists, but it slices its zero pads from the features (too short for audio under 12
// steps) and its back pad of 3 * 2 * floor(50 / fps) steps is too short for the last frames
// from 50 fps on (empty from 51); here the pads are as long as the frames need, at any rate.
int64_t window_start(int64_t fps, int64_t f) {
  const double steps_per_frame = static_cast<double>(kEncoderStepsPerSecond) / fps;
  const auto pad = static_cast<int64_t>(std::ceil(steps_per_frame));
  return static_cast<int64_t>(std::floor(f * steps_per_frame)) - pad * kPadLeft;
}

}  // namespace

StepRange window_steps(int64_t fps, int64_t first, int64_t count) {
  TORCH_CHECK(fps > 0, "window_steps: fps must be positive, got ", fps);
  if (count <= 0) return {window_start(fps, first), window_start(fps, first)};
  return {window_start(fps, first), window_start(fps, first + count - 1) + kWindow};
}

torch::Tensor frame_windows_at(const torch::Tensor& hidden, int64_t first_step, int64_t end_step,
                               int64_t fps, int64_t first, int64_t count) {
  TORCH_CHECK(fps > 0, "frame_windows: fps must be positive, got ", fps);
  TORCH_CHECK(hidden.dim() == 3, "frame_windows: expected (T, states, d), got ", hidden.sizes());
  TORCH_CHECK(first >= 0 && count >= 0, "frame_windows: frames [", first, ", ", first + count, ")");
  if (count == 0) return hidden.new_zeros({0, kWindow * hidden.size(1), hidden.size(2)});
  // The steps [lo, hi) these frames read, zeros outside the known audio (all of them where the
  // range lies before or after it: at low rates the first windows end before step 0).
  const StepRange range = window_steps(fps, first, count);
  const int64_t lo = range.begin, hi = range.end;
  torch::Tensor local = hidden.new_zeros({hi - lo, hidden.size(1), hidden.size(2)});
  const int64_t a = std::max({lo, first_step, int64_t{0}});
  const int64_t b = std::min({hi, first_step + hidden.size(0), end_step});
  if (a < b) local.narrow(0, a - lo, b - a).copy_(hidden.narrow(0, a - first_step, b - a));
  std::vector<torch::Tensor> windows;
  windows.reserve(count);
  for (int64_t f = first; f < first + count; ++f) {
    windows.push_back(local.narrow(0, window_start(fps, f) - lo, kWindow));
  }
  // (frames, 10, states, d) -> (frames, 10 * states, d): token 5 t + l for 5 states.
  return torch::stack(windows, 0).reshape({count, kWindow * hidden.size(1), hidden.size(2)});
}

}  // namespace musetalk::audio
