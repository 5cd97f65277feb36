#pragma once
// The presentation clock of a stream: nanoseconds on one monotonic timeline shared by the audio
// input's timestamps, the session's frame PTS and the sinks' pacing. The real one is
// std::chrono::steady_clock (CLOCK_MONOTONIC on Linux, the clock OBS's os_gettime_ns() reads);
// tests and benchmarks inject a faster one. Torch-free.

#include <chrono>
#include <cstdint>
#include <thread>

namespace musetalk::stream {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_ns() const = 0;
  // Returns once now_ns() >= t_ns (at once when it already is).
  virtual void sleep_until_ns(int64_t t_ns) const = 0;
};

// std::chrono::steady_clock.
class SteadyClock : public Clock {
 public:
  int64_t now_ns() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void sleep_until_ns(int64_t t_ns) const override {
    std::this_thread::sleep_until(
        std::chrono::steady_clock::time_point(std::chrono::nanoseconds(t_ns)));
  }
};

// A clock that runs rate times faster than steady_clock from its creation, starting at 0: a
// file "played in real time" on it takes 1/rate of its duration. For tests and benchmarks.
class ScaledClock : public Clock {
 public:
  explicit ScaledClock(double rate) : rate_(rate), origin_(steady_.now_ns()) {}
  int64_t now_ns() const override {
    return static_cast<int64_t>(static_cast<double>(steady_.now_ns() - origin_) * rate_);
  }
  void sleep_until_ns(int64_t t_ns) const override {
    steady_.sleep_until_ns(origin_ + static_cast<int64_t>(static_cast<double>(t_ns) / rate_));
  }
  double rate() const { return rate_; }

 private:
  SteadyClock steady_;
  double rate_;
  int64_t origin_;
};

constexpr int64_t kNanosPerSecond = 1000000000;

}  // namespace musetalk::stream
