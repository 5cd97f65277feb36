#pragma once
// Speech or silence per video frame, from the energy of the audio the frame's Whisper window
// spans: an RMS level in dBFS against two thresholds (hysteresis) and a hangover, so short pauses
// inside speech do not flicker to idle. Torch-free.

#include <cstddef>

namespace musetalk::stream {

struct VoiceActivitySettings {
  double on_dbfs = -40;     // silence -> speech when the level rises above this
  double off_dbfs = -50;    // speech -> silence once the level stays below this ...
  int hangover_frames = 8;  // ... for this many frames
};

// 20 log10(RMS) of samples (full scale 1.0); -inf dB is returned as -200.
double rms_dbfs(const float* samples, size_t count);

class VoiceActivity {
 public:
  explicit VoiceActivity(const VoiceActivitySettings& settings) : settings_(settings) {}
  // The next frame's level; returns whether that frame is speech.
  bool update(double level_dbfs);
  bool speaking() const { return speaking_; }

 private:
  VoiceActivitySettings settings_;
  bool speaking_ = false;
  int quiet_frames_ = 0;
};

}  // namespace musetalk::stream
