#include "voice_resampler.h"

#include <media-io/audio-resampler.h>

#include <string>

#include "files/error.h"

namespace musetalk::obs_plugin {

VoiceResampler::~VoiceResampler() {
  if (resampler_) audio_resampler_destroy(resampler_);
}

void VoiceResampler::convert(const CapturedPacket& packet, std::vector<float>& out) {
  if (packet.frames == 0) return;
  if (!resampler_ || packet.rate != rate_ || packet.speakers != speakers_) {
    if (resampler_) audio_resampler_destroy(resampler_);
    resampler_ = nullptr;
    resample_info src{};
    src.samples_per_sec = packet.rate;
    src.format = AUDIO_FORMAT_FLOAT_PLANAR;
    src.speakers = static_cast<speaker_layout>(packet.speakers);
    resample_info dst{};
    dst.samples_per_sec = 16000;
    dst.format = AUDIO_FORMAT_FLOAT;
    dst.speakers = SPEAKERS_MONO;
    resampler_ = audio_resampler_create(&dst, &src);
    if (!resampler_) {
      throw Error("audio source",
                  "sends " + std::to_string(packet.channels) + " channels at " +
                      std::to_string(packet.rate) +
                      " Hz, which libobs's resampler cannot convert to 16 kHz mono",
                  "set OBS's audio to 48 kHz stereo (Settings, Audio)");
    }
    rate_ = packet.rate;
    speakers_ = packet.speakers;
  }
  const uint8_t* input[MAX_AV_PLANES] = {};
  for (int c = 0; c < packet.channels && c < MAX_AV_PLANES; ++c) {
    input[c] = reinterpret_cast<const uint8_t*>(packet.planes.data() +
                                                static_cast<size_t>(c) * packet.frames);
  }
  uint8_t* output[MAX_AV_PLANES] = {};
  uint32_t out_frames = 0;
  uint64_t ts_offset = 0;
  if (!audio_resampler_resample(resampler_, output, &out_frames, &ts_offset, input,
                                static_cast<uint32_t>(packet.frames))) {
    throw Error("audio source", "could not be resampled to 16 kHz mono by libobs",
                "pick another audio source, or set OBS's audio to 48 kHz stereo");
  }
  const auto* samples = reinterpret_cast<const float*>(output[0]);
  if (samples && out_frames > 0) out.insert(out.end(), samples, samples + out_frames);
}

}  // namespace musetalk::obs_plugin
