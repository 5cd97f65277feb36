#pragma once
// OBS's captured audio (float planar, OBS's rate and speaker layout) to what the session reads:
// 16 kHz mono float. Wraps libobs's audio_resampler (media-io/audio-resampler.h, FFmpeg's
// swresample underneath, which also downmixes), created on the worker thread as obs-localvocal
// does in vad-processing.cpp: it is not thread safe, so one thread only.

#include <cstdint>
#include <vector>

#include "capture_buffer.h"

struct audio_resampler;

namespace musetalk::obs_plugin {

class VoiceResampler {
 public:
  VoiceResampler() = default;
  ~VoiceResampler();
  VoiceResampler(const VoiceResampler&) = delete;
  VoiceResampler& operator=(const VoiceResampler&) = delete;

  // The packet's samples at 16 kHz mono, appended to out (the count may differ by the
  // resampler's delay from frames * 16000 / rate). A packet in another format than the previous
  // one starts a new resampler. Throws Error when libobs cannot convert the format.
  void convert(const CapturedPacket& packet, std::vector<float>& out);

 private:
  audio_resampler* resampler_ = nullptr;
  uint32_t rate_ = 0;
  int speakers_ = 0;
};

}  // namespace musetalk::obs_plugin
