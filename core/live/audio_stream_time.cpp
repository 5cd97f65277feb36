#include "live/audio_stream_time.h"

#include <portaudio.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "stream/clock.h"

namespace musetalk::live {
namespace {

int64_t seconds_to_ns(double s) {
  return static_cast<int64_t>(std::llround(s * 1e9));
}

}  // namespace

int64_t steady_now_ns() {
  return stream::SteadyClock().now_ns();
}

void StreamTimeMap::measure(void* stream) {
  int64_t best_width = std::numeric_limits<int64_t>::max();
  for (int i = 0; i < 5; ++i) {
    int64_t before = steady_now_ns();
    double t = Pa_GetStreamTime(stream);
    int64_t after = steady_now_ns();
    if (t <= 0) continue;  // the host API keeps no stream time
    if (after - before < best_width) {
      best_width = after - before;
      offset_ns_ = after - seconds_to_ns(t);
      valid_ = true;
    }
  }
  block_min_ns_ = std::numeric_limits<int64_t>::max();
  block_start_ns_ = steady_now_ns();
}

void StreamTimeMap::observe(int64_t steady_ns, double stream_time_s) {
  if (stream_time_s <= 0) return;
  int64_t sample = steady_ns - seconds_to_ns(stream_time_s);
  if (!valid_ || sample < offset_ns_) {
    offset_ns_ = sample;
    valid_ = true;
  }
  block_min_ns_ = std::min(block_min_ns_, sample);
  if (steady_ns - block_start_ns_ >= kBlockNs) {
    if (block_min_ns_ > offset_ns_) offset_ns_ += std::min(block_min_ns_ - offset_ns_, kMaxRiseNs);
    block_min_ns_ = std::numeric_limits<int64_t>::max();
    block_start_ns_ = steady_ns;
  }
}

int64_t StreamTimeMap::to_steady_ns(double stream_time_s) const {
  return seconds_to_ns(stream_time_s) + offset_ns_;
}

}  // namespace musetalk::live
