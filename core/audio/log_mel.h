#pragma once
// Whisper's log-mel front end as HF WhisperFeatureExtractor computes it (transformers
// models/whisper/feature_extraction_whisper.py): the audio is cut into 30 s segments of raw
// samples (MuseTalk musetalk/utils/audio_processor.py AudioProcessor.get_audio_feature), each
// zero-padded to 30 s and turned into an (n_mels, 3000) log-mel independently.

#include <torch/torch.h>

namespace musetalk::audio {

// WhisperFeatureExtractor's preprocessor settings (preprocessor_config.json of whisper-tiny).
struct LogMelOptions {
  int64_t sampling_rate = 16000;
  int64_t n_fft = 400;
  int64_t hop_length = 160;
  int64_t n_mels = 80;               // the encoder's num_mel_bins
  int64_t segment_samples = 480000;  // chunk_length 30 s
  int64_t frames_per_segment() const { return segment_samples / hop_length; }
};

// librosa.filters.mel(sr, n_fft, n_mels) with fmin 0, fmax sr/2: Slaney mel scale and Slaney
// area normalisation, computed in float64 and returned as (n_mels, n_fft/2 + 1) float32.
torch::Tensor slaney_mel_filters(int64_t sampling_rate, int64_t n_fft, int64_t n_mels);

// Number of 30 s segments the samples are cut into (at least one).
int64_t segment_count(int64_t num_samples, const LogMelOptions& options);

// The STFT window and mel filters, built once for a stream of calls.
struct LogMelTables {
  torch::Tensor window;   // (n_fft,) periodic Hann
  torch::Tensor filters;  // (n_mels, n_fft / 2 + 1)
  static LogMelTables make(const LogMelOptions& options, torch::Device device);
};

// samples: 1-D float32 mono audio at options.sampling_rate. Returns (segments, n_mels, 3000)
// float32 on the samples' device.
torch::Tensor log_mel_segments(const torch::Tensor& samples, const LogMelOptions& options);
// The same with tables made once (on the samples' device).
torch::Tensor log_mel_segments(const torch::Tensor& samples, const LogMelOptions& options,
                               const LogMelTables& tables);

}  // namespace musetalk::audio
