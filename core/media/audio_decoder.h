#pragma once
// Whole-file audio decoding to the 16 kHz mono float samples the audio encoder consumes.

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

}  // namespace musetalk::media
