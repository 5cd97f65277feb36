#pragma once
// The captured audio (mono float at OBS's rate, capture_buffer.h) to what the session reads:
// 16 kHz mono float. Wraps libobs's audio_resampler (media-io/audio-resampler.h, FFmpeg's
// swresample underneath), created on the pump thread as obs-localvocal does in
// vad-processing.cpp: it is not thread safe, so one thread only.

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

  // The block's samples at 16 kHz, appended to out (the count may differ by the resampler's
  // delay from frames * 16000 / rate). A block at another rate than the previous one starts a
  // new resampler. Throws Error when libobs cannot convert the rate.
  void convert(const CapturedBlock& block, std::vector<float>& out);

 private:
  audio_resampler* resampler_ = nullptr;
  uint32_t rate_ = 0;
};

}  // namespace musetalk::obs_plugin
