#pragma once
// Maps a PortAudio stream's time (Pa_GetStreamTime and the callback's PaStreamCallbackTimeInfo,
// in seconds, on a clock the host API chooses: the ALSA host API uses the PCM's status
// timestamp, the system's wall clock by default) onto the live stream's clock, steady_clock
// nanoseconds (stream/clock.h SteadyClock). Internal to mic_input.cpp and voice_output.cpp.

#include <cstdint>
#include <limits>

namespace musetalk::live {

// steady_clock's time in nanoseconds (stream/clock.h SteadyClock::now_ns), the clock every
// capture and playback time of the live stream is put on.
int64_t steady_now_ns();

class StreamTimeMap {
 public:
  // Measures the offset right after the stream is opened: steady_clock is read before and after
  // Pa_GetStreamTime a few times; the tightest bracket's end is an upper bound of the offset.
  // stream: a PaStream*.
  void measure(void* stream);

  // From a stream callback: steady_clock's time when the callback began and the callback's
  // currentTime. steady - currentTime is an upper bound of the offset (the callback begins after
  // PortAudio read currentTime, later still when the machine is busy), so a smaller one replaces
  // the offset at once. A larger one is followed only when a whole block of callbacks agrees, and
  // by at most kMaxRiseNs per block: the wall clock that the ALSA host API's times are on is
  // slewed by NTP by at most 500 ppm (adjtimex(2)), 1 ms per 2 s block. Allocates nothing.
  void observe(int64_t steady_ns, double stream_time_s);

  // A stream time (e.g. inputBufferAdcTime) on steady_clock, in nanoseconds.
  int64_t to_steady_ns(double stream_time_s) const;

  bool valid() const { return valid_; }

 private:
  static constexpr int64_t kBlockNs = 2000000000;
  static constexpr int64_t kMaxRiseNs = 1000000;
  bool valid_ = false;
  int64_t offset_ns_ = 0;                                       // steady_ns - stream time in ns
  int64_t block_min_ns_ = std::numeric_limits<int64_t>::max();  // smallest of the block
  int64_t block_start_ns_ = 0;  // steady time the current block began
};

// The median of the last kSize values pushed (of fewer at first): the stream times PortAudio
// reports through PulseAudio are exact to ~0.1 ms, except that now and then a single buffer's
// time is off by several milliseconds (PulseAudio's timing updates); a median of five ignores
// such a buffer and still follows a lasting change (lost capture, a new latency) after three.
// Allocates nothing.
class RecentMedian {
 public:
  static constexpr int kSize = 5;

  // Adds value; returns the median including it.
  int64_t push(int64_t value) {
    values_[next_] = value;
    next_ = (next_ + 1) % kSize;
    if (count_ < kSize) ++count_;
    int64_t sorted[kSize];
    for (int i = 0; i < count_; ++i) {
      int j = i;
      for (; j > 0 && sorted[j - 1] > values_[i]; --j) sorted[j] = sorted[j - 1];
      sorted[j] = values_[i];
    }
    return sorted[count_ / 2];
  }
  // Adds delta to every value kept (after acting on the median).
  void shift(int64_t delta) {
    for (int i = 0; i < count_; ++i) values_[i] += delta;
  }
  void clear() { count_ = next_ = 0; }

 private:
  int64_t values_[kSize] = {};
  int count_ = 0;
  int next_ = 0;
};

}  // namespace musetalk::live
