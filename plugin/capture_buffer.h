#pragma once
// The audio the MuseTalk Avatar source hears, handed from OBS's capture thread to the source's
// worker: a bounded queue of packets, each one OBS capture callback's float planar samples at
// OBS's output rate. push() only copies under a mutex that take() holds just long enough to swap
// the queue out, so the capture thread never waits on inference. Past max_ns of audio, the oldest
// packets are dropped and counted (an unbounded queue makes the lag grow without end:
// obs-localvocal issue #229). No obs.h, so it builds and tests without OBS.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

namespace musetalk::obs_plugin {

struct CapturedPacket {
  int64_t arrival_ns = 0;  // os_gettime_ns() (CLOCK_MONOTONIC) when the callback ran
  uint32_t rate = 0;       // samples per second per channel
  int speakers = 0;        // OBS's enum speaker_layout of the samples
  int channels = 0;
  size_t frames = 0;          // samples per channel
  std::vector<float> planes;  // channels planes of frames samples, one after another
};

class CaptureBuffer {
 public:
  // max_ns > 0: the most audio held; older packets are dropped first.
  explicit CaptureBuffer(int64_t max_ns = int64_t{2} * 1000000000);

  // Copies channels planes of frames samples each. Any thread; returns at once.
  void push(const float* const* planes, int channels, int speakers, size_t frames, uint32_t rate,
            int64_t arrival_ns);
  // Every packet held, oldest first; waits up to timeout for one when none is (or until wake()).
  std::deque<CapturedPacket> take(std::chrono::milliseconds timeout);
  // Ends a take() that is waiting.
  void wake();

  int64_t packets() const { return packets_; }  // pushed so far
  int64_t dropped() const { return dropped_; }  // dropped for want of room

 private:
  int64_t max_ns_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<CapturedPacket> queue_;
  int64_t held_ns_ = 0;
  bool woken_ = false;
  std::atomic<int64_t> packets_{0};
  std::atomic<int64_t> dropped_{0};
};

}  // namespace musetalk::obs_plugin
