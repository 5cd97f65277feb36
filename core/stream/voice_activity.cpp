#include "stream/voice_activity.h"

#include <cmath>

namespace musetalk::stream {

double rms_dbfs(const float* samples, size_t count) {
  if (count == 0) return -200;
  double sum = 0;
  for (size_t i = 0; i < count; ++i) sum += static_cast<double>(samples[i]) * samples[i];
  const double rms = std::sqrt(sum / static_cast<double>(count));
  return rms > 1e-10 ? 20 * std::log10(rms) : -200;
}

bool VoiceActivity::update(double level_dbfs) {
  if (!speaking_) {
    if (level_dbfs > settings_.on_dbfs) {
      speaking_ = true;
      quiet_frames_ = 0;
    }
  } else if (level_dbfs < settings_.off_dbfs) {
    if (++quiet_frames_ > settings_.hangover_frames) speaking_ = false;
  } else {
    quiet_frames_ = 0;
  }
  return speaking_;
}

}  // namespace musetalk::stream
