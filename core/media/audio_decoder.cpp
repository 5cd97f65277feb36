#include "media/audio_decoder.h"

#include "files/error.h"
#include "media/audio_reader.h"

namespace musetalk::media {

DecodedAudio decode_audio_16k_mono(const std::string& path) {
  constexpr int kRate = 16000;
  AudioReader reader(path);
  reader.set_output(kRate, 1, AV_SAMPLE_FMT_FLT, /*mean_downmix=*/true);

  DecodedAudio audio;
  audio.path = path;
  audio.source_rate = reader.source_rate();
  audio.source_channels = reader.source_channels();
  auto sink = [&](const uint8_t* const* planes, int n) {
    auto* first = reinterpret_cast<const float*>(planes[0]);
    audio.samples.insert(audio.samples.end(), first, first + n);
  };
  while (reader.read(sink)) {
  }
  if (reader.source_samples() == 0)
    throw Error(path, "no samples: the audio stream is empty",
                "give a file whose audio actually contains sound");
  if (audio.samples.empty())
    throw Error(path,
                "no samples at 16 kHz: its " + std::to_string(reader.source_samples()) +
                    " samples at " + std::to_string(audio.source_rate) +
                    " Hz are too short to give one",
                "give a file whose audio actually contains sound");
  audio.duration_s = static_cast<double>(reader.source_samples()) / audio.source_rate;
  return audio;
}

}  // namespace musetalk::media
