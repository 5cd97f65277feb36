#include "audio/log_mel.h"

#include <algorithm>
#include <cmath>

namespace musetalk::audio {
namespace {

using torch::indexing::Slice;

// Slaney's auditory-toolbox mel scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above.
constexpr double kHzPerMel = 200.0 / 3.0;
constexpr double kLogStartHz = 1000.0;
constexpr double kLogStartMel = kLogStartHz / kHzPerMel;
const double kLogStep = std::log(6.4) / 27.0;

double hz_to_mel(double hz) {
  if (hz < kLogStartHz) return hz / kHzPerMel;
  return kLogStartMel + std::log(hz / kLogStartHz) / kLogStep;
}

double mel_to_hz(double mel) {
  if (mel < kLogStartMel) return mel * kHzPerMel;
  return kLogStartHz * std::exp(kLogStep * (mel - kLogStartMel));
}

}  // namespace

torch::Tensor slaney_mel_filters(int64_t sampling_rate, int64_t n_fft, int64_t n_mels) {
  const int64_t bins = n_fft / 2 + 1;
  const double nyquist = sampling_rate / 2.0;
  // n_mels + 2 band edges equally spaced in mel between 0 Hz and Nyquist.
  std::vector<double> edges(n_mels + 2);
  const double top = hz_to_mel(nyquist);
  for (int64_t i = 0; i < n_mels + 2; ++i) {
    edges[i] = mel_to_hz(top * static_cast<double>(i) / static_cast<double>(n_mels + 1));
  }
  torch::Tensor filters = torch::zeros({n_mels, bins}, torch::kFloat64);
  auto f = filters.accessor<double, 2>();
  for (int64_t m = 0; m < n_mels; ++m) {
    const double lower_width = edges[m + 1] - edges[m], upper_width = edges[m + 2] - edges[m + 1];
    const double area_norm = 2.0 / (edges[m + 2] - edges[m]);
    for (int64_t k = 0; k < bins; ++k) {
      const double hz = nyquist * static_cast<double>(k) / static_cast<double>(bins - 1);
      const double rising = (hz - edges[m]) / lower_width;
      const double falling = (edges[m + 2] - hz) / upper_width;
      f[m][k] = std::max(0.0, std::min(rising, falling)) * area_norm;
    }
  }
  return filters.to(torch::kFloat32);
}

int64_t segment_count(int64_t num_samples, const LogMelOptions& options) {
  return std::max<int64_t>(1,
                           (num_samples + options.segment_samples - 1) / options.segment_samples);
}

LogMelTables LogMelTables::make(const LogMelOptions& options, torch::Device device) {
  const auto floats = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  return {torch::hann_window(options.n_fft, /*periodic=*/true, floats),
          slaney_mel_filters(options.sampling_rate, options.n_fft, options.n_mels).to(device)};
}

torch::Tensor log_mel_segments(const torch::Tensor& samples, const LogMelOptions& options) {
  return log_mel_segments(samples, options, LogMelTables::make(options, samples.device()));
}

torch::Tensor log_mel_segments(const torch::Tensor& samples, const LogMelOptions& options,
                               const LogMelTables& tables) {
  TORCH_CHECK(samples.dim() == 1, "log_mel_segments: expected 1-D samples, got ", samples.sizes());
  const int64_t segments = segment_count(samples.size(0), options);
  // Raw-audio segments (MuseTalk musetalk/utils/audio_processor.py
  // AudioProcessor.get_audio_feature), the last one zero-padded to 30 s by WhisperFeatureExtractor.
  torch::Tensor padded =
      torch::zeros({segments * options.segment_samples}, samples.options().dtype(torch::kFloat32));
  padded.index_put_({Slice(0, samples.size(0))}, samples.to(torch::kFloat32));
  torch::Tensor audio = padded.reshape({segments, options.segment_samples});

  torch::Tensor spectrum =
      torch::stft(audio, options.n_fft, options.hop_length, options.n_fft, tables.window,
                  /*center=*/true, "reflect", /*normalized=*/false,
                  /*onesided=*/true, /*return_complex=*/true);
  // Centring gives one frame more than 30 s holds; the reference drops the last one.
  torch::Tensor power =
      spectrum.index({Slice(), Slice(), Slice(0, options.frames_per_segment())}).abs().pow(2);
  torch::Tensor mel = torch::matmul(tables.filters, power);  // (S, n_mels, frames)
  torch::Tensor log_spec = torch::log10(torch::clamp_min(mel, 1e-10));
  // Dynamic range clamp per segment: each segment is its own feature-extractor call.
  torch::Tensor peak =
      std::get<0>(log_spec.reshape({segments, -1}).max(1)).reshape({segments, 1, 1});
  log_spec = torch::maximum(log_spec, peak - 8.0);
  return (log_spec + 4.0) / 4.0;
}

}  // namespace musetalk::audio
