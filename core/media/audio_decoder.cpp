#include "media/audio_decoder.h"

#include <functional>

#include "files/error.h"
#include "media/audio_reader.h"

namespace musetalk::media {

namespace {

// Decodes path to 16 kHz mono float, handing each converted piece to sink; the checks and
// fields shared by decode_audio_16k_mono() and measure_audio_16k_mono().
AudioLength decode_16k_mono(const std::string& path,
                            const std::function<void(const float*, int)>& sink) {
  constexpr int kRate = 16000;
  AudioReader reader(path);
  reader.set_output(kRate, 1, AV_SAMPLE_FMT_FLT, /*mean_downmix=*/true);

  AudioLength length;
  length.path = path;
  length.source_rate = reader.source_rate();
  length.source_channels = reader.source_channels();
  auto on_samples = [&](const uint8_t* const* planes, int n) {
    sink(reinterpret_cast<const float*>(planes[0]), n);
    length.samples += n;
  };
  while (reader.read(on_samples)) {
  }
  if (reader.source_samples() == 0)
    throw Error(path, "no samples: the audio stream is empty",
                "give a file whose audio actually contains sound");
  if (length.samples == 0)
    throw Error(path,
                "no samples at 16 kHz: its " + std::to_string(reader.source_samples()) +
                    " samples at " + std::to_string(length.source_rate) +
                    " Hz are too short to give one",
                "give a file whose audio actually contains sound");
  length.duration_s = static_cast<double>(reader.source_samples()) / length.source_rate;
  return length;
}

}  // namespace

DecodedAudio decode_audio_16k_mono(const std::string& path) {
  DecodedAudio audio;
  const AudioLength length = decode_16k_mono(
      path, [&](const float* s, int n) { audio.samples.insert(audio.samples.end(), s, s + n); });
  audio.path = length.path;
  audio.source_rate = length.source_rate;
  audio.source_channels = length.source_channels;
  audio.duration_s = length.duration_s;
  return audio;
}

AudioLength measure_audio_16k_mono(const std::string& path) {
  return decode_16k_mono(path, [](const float*, int) {});
}

}  // namespace musetalk::media
