#include "voice_resampler.h"

#include <media-io/audio-resampler.h>

#include <string>

#include "files/error.h"

namespace musetalk::obs_plugin {

VoiceResampler::~VoiceResampler() {
  if (resampler_) audio_resampler_destroy(resampler_);
}

void VoiceResampler::convert(const CapturedBlock& block, std::vector<float>& out) {
  if (block.samples.empty()) return;
  if (!resampler_ || block.rate != rate_) {
    if (resampler_) audio_resampler_destroy(resampler_);
    resampler_ = nullptr;
    resample_info src{};
    src.samples_per_sec = block.rate;
    src.format = AUDIO_FORMAT_FLOAT;
    src.speakers = SPEAKERS_MONO;
    resample_info dst{};
    dst.samples_per_sec = 16000;
    dst.format = AUDIO_FORMAT_FLOAT;
    dst.speakers = SPEAKERS_MONO;
    resampler_ = audio_resampler_create(&dst, &src);
    if (!resampler_) {
      throw Error("audio source",
                  "sends audio at " + std::to_string(block.rate) +
                      " Hz, which libobs's resampler cannot convert to 16 kHz",
                  "set OBS's audio to 48 kHz (Settings, Audio)");
    }
    rate_ = block.rate;
  }
  const uint8_t* input[MAX_AV_PLANES] = {reinterpret_cast<const uint8_t*>(block.samples.data())};
  uint8_t* output[MAX_AV_PLANES] = {};
  uint32_t out_frames = 0;
  uint64_t ts_offset = 0;
  if (!audio_resampler_resample(resampler_, output, &out_frames, &ts_offset, input,
                                static_cast<uint32_t>(block.samples.size()))) {
    throw Error("audio source", "could not be resampled to 16 kHz by libobs",
                "pick another audio source, or set OBS's audio to 48 kHz");
  }
  const auto* samples = reinterpret_cast<const float*>(output[0]);
  if (samples && out_frames > 0) out.insert(out.end(), samples, samples + out_frames);
}

}  // namespace musetalk::obs_plugin
