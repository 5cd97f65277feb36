#pragma once
// The session's input: a bounded ring of 16 kHz mono float samples addressed by their position on
// the stream's timeline (position 0 is the first sample ever pushed, at origin_ns on the session's
// clock). push() never waits for space: when the reader is more than capacity behind, the oldest
// samples are overwritten and counted as dropped. Safe to push from any thread while another
// reads. Torch-free.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

namespace musetalk::stream {

constexpr int64_t kStreamSampleRate = 16000;

class AudioRing {
 public:
  // capacity_samples > 0. gap_tolerance_ns: how far a chunk's timestamp may lie past the end of
  // what was received before the gap is filled with silence (a paused or muted source).
  explicit AudioRing(size_t capacity_samples, int64_t gap_tolerance_ns = 100000000);

  // A new capacity, before the first push (throws std::logic_error after it).
  void resize(size_t capacity_samples);

  // Appends count samples whose first was captured at pts_ns (session clock). The first push
  // fixes origin_ns. A later chunk more than gap_tolerance_ns after the expected time inserts
  // silence up to its own position (at most one capacity); an early or slightly late chunk is
  // appended as is, so the timeline stays gapless and monotonic.
  void push(int64_t pts_ns, const float* samples, size_t count);
  // End of input: nothing more will be pushed; waiters wake.
  void close();

  // Copies samples [begin, end) into out (end - begin floats). Positions before 0, at or after
  // end(), or already overwritten read as 0.
  void read(int64_t begin, int64_t end, float* out) const;
  // The reader no longer needs positions before position: overwriting them is not a drop.
  void release(int64_t position);

  // Waits until end() >= position, the ring is closed, or timeout_ns passes (0: no wait).
  // Returns end().
  int64_t wait_for(int64_t position, int64_t timeout_ns) const;

  int64_t end() const;  // samples received so far
  bool closed() const;
  std::optional<int64_t> origin_ns() const;
  int64_t dropped() const;     // samples overwritten before the reader released them
  int64_t gap_filled() const;  // silent samples inserted for gaps in the timestamps
  size_t capacity() const { return buffer_.size(); }

 private:
  void append_locked(const float* samples, size_t count);  // nullptr: silence

  std::vector<float> buffer_;
  int64_t gap_tolerance_ns_;
  mutable std::mutex mutex_;
  mutable std::condition_variable grown_;
  int64_t end_ = 0;
  int64_t released_ = 0;
  int64_t dropped_ = 0;
  int64_t gap_filled_ = 0;
  bool closed_ = false;
  std::optional<int64_t> origin_ns_;
};

// PTS of timeline position `position`: origin + position / 16 kHz, in ns.
int64_t sample_pts_ns(int64_t origin_ns, int64_t position);

}  // namespace musetalk::stream
