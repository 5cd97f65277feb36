#pragma once
// Whole-file audio decoding to the 16 kHz mono float samples the audio encoder consumes.

#include <cstdint>
#include <string>
#include <vector>

namespace musetalk::media {

struct DecodedAudio {
  std::vector<float> samples;  // 16 kHz mono, the mean of the source channels
  int source_rate = 0;
  int source_channels = 0;
  double duration_s = 0;  // of the source audio
  std::string path;
};

// Decodes the audio of any file FFmpeg reads (wav, mp3, mp4, ...). Throws musetalk::Error naming
// path when it is missing, not media, has no audio stream, no decoder, or no samples.
DecodedAudio decode_audio_16k_mono(const std::string& path);

// decode_audio_16k_mono() without keeping the samples: the same fields, samples left empty, and
// their count. It decodes the whole file (fast: seconds for an hour of WAV), so that a long clip
// can be checked before it is rendered without being held in memory. The same errors.
struct AudioLength {
  int64_t samples = 0;  // at 16 kHz mono, as many as decode_audio_16k_mono() gives
  int source_rate = 0;
  int source_channels = 0;
  double duration_s = 0;  // of the source audio
  std::string path;
};
AudioLength measure_audio_16k_mono(const std::string& path);

}  // namespace musetalk::media
