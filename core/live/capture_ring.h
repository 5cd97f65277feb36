#pragma once
// The bounded ring between an audio device's callback (one producer) and the thread that
// processes the capture (one consumer). The producer never waits, locks or allocates: when the
// consumer falls a whole ring behind, the producer overwrites the oldest block and the consumer
// later skips it and counts it dropped. Each slot carries a sequence number written around the
// data (a seqlock, as in Boehm, "Can seqlocks get along with programming language memory
// models?", MSPC 2012), so a block overwritten while the consumer copied it is detected and
// dropped rather than delivered torn. Every field is a lock-free atomic, so there is no data race
// even then. Header-only and standard-library-only: mic_input.cpp uses it, and so does the OBS
// source's capture buffer (plugin/capture_buffer.h), which includes it without linking
// musetalk_live.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace musetalk::live {

// What the callback knew about one block of capture.
struct CaptureBlockInfo {
  double adc_time_s = 0;     // PortAudio's inputBufferAdcTime: the block's first frame
  double stream_time_s = 0;  // PortAudio's currentTime when the callback began
  int64_t steady_ns = 0;     // steady_clock when the callback began
  int frames = 0;            // frames stored (at most frames_per_slot)
  bool overflow = false;     // PortAudio flagged an input overflow before this block
};

class CaptureRing {
 public:
  // slots blocks of up to frames_per_slot interleaved frames of channels floats.
  CaptureRing(size_t slots, int frames_per_slot, int channels)
      : slot_count_(std::max<size_t>(slots, 2)),
        frames_per_slot_(frames_per_slot),
        channels_(channels),
        slots_(new Slot[slot_count_]),
        samples_(new std::atomic<float>[slot_count_ * frames_per_slot * channels]) {
    static_assert(std::atomic<double>::is_always_lock_free, "the callback must not lock");
    static_assert(std::atomic<float>::is_always_lock_free, "the callback must not lock");
    static_assert(std::atomic<int64_t>::is_always_lock_free, "the callback must not lock");
    reset();
  }

  size_t slots() const { return slot_count_; }
  int frames_per_slot() const { return frames_per_slot_; }
  int channels() const { return channels_; }

  // Producer. Stores up to frames_per_slot frames of data (null: silence) with info; the frames
  // beyond are counted dropped. Returns the frames stored.
  int push(const float* data, int frames, CaptureBlockInfo info) {
    int stored = std::min(frames, frames_per_slot_);
    if (frames > stored) dropped_frames_.fetch_add(frames - stored, std::memory_order_relaxed);
    info.frames = stored;
    uint64_t seq = write_seq_.load(std::memory_order_relaxed);
    Slot& slot = slots_[seq % slot_count_];
    slot.seq.store(kWriting, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    std::atomic<float>* out = samples_.get() + (seq % slot_count_) * slot_floats();
    size_t n = static_cast<size_t>(stored) * channels_;
    for (size_t i = 0; i < n; ++i) out[i].store(data ? data[i] : 0.0f, std::memory_order_relaxed);
    slot.adc_time_s.store(info.adc_time_s, std::memory_order_relaxed);
    slot.stream_time_s.store(info.stream_time_s, std::memory_order_relaxed);
    slot.steady_ns.store(info.steady_ns, std::memory_order_relaxed);
    slot.frames.store(info.frames, std::memory_order_relaxed);
    slot.overflow.store(info.overflow, std::memory_order_relaxed);
    slot.seq.store(seq + 1, std::memory_order_release);
    write_seq_.store(seq + 1, std::memory_order_release);
    return stored;
  }

  // Consumer. Copies the oldest block not yet read into out (room for frames_per_slot *
  // channels floats) and info; false when there is none. Blocks the producer overwrote first
  // are skipped and counted in dropped_frames().
  bool pop(float* out, CaptureBlockInfo& info) {
    while (true) {
      uint64_t written = write_seq_.load(std::memory_order_acquire);
      if (read_seq_ >= written) return false;
      if (written - read_seq_ > slot_count_) {  // lapped: those slots hold newer blocks now
        drop(written - slot_count_ - read_seq_);
        continue;
      }
      Slot& slot = slots_[read_seq_ % slot_count_];
      uint64_t expected = read_seq_ + 1;
      if (slot.seq.load(std::memory_order_acquire) != expected) {
        drop(1);
        continue;
      }
      info.adc_time_s = slot.adc_time_s.load(std::memory_order_relaxed);
      info.stream_time_s = slot.stream_time_s.load(std::memory_order_relaxed);
      info.steady_ns = slot.steady_ns.load(std::memory_order_relaxed);
      info.frames = std::min(slot.frames.load(std::memory_order_relaxed), frames_per_slot_);
      info.overflow = slot.overflow.load(std::memory_order_relaxed);
      const std::atomic<float>* in = samples_.get() + (read_seq_ % slot_count_) * slot_floats();
      size_t n = static_cast<size_t>(info.frames) * channels_;
      for (size_t i = 0; i < n; ++i) out[i] = in[i].load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (slot.seq.load(std::memory_order_relaxed) != expected) {  // overwritten while copying
        drop(1);
        continue;
      }
      ++read_seq_;
      return true;
    }
  }

  // Frames lost: blocks overwritten before the consumer read them (counted as whole slots) and
  // frames beyond a slot's size.
  int64_t dropped_frames() const { return dropped_frames_.load(std::memory_order_relaxed); }

  // Empties the ring and the count; only while neither side runs.
  void reset() {
    for (size_t i = 0; i < slot_count_; ++i) slots_[i].seq.store(0, std::memory_order_relaxed);
    write_seq_.store(0, std::memory_order_relaxed);
    read_seq_ = 0;
    dropped_frames_.store(0, std::memory_order_relaxed);
  }

 private:
  static constexpr uint64_t kWriting = ~uint64_t{0};

  struct Slot {
    std::atomic<uint64_t> seq{0};  // sequence number + 1 of the block held; kWriting meanwhile
    std::atomic<double> adc_time_s{0};
    std::atomic<double> stream_time_s{0};
    std::atomic<int64_t> steady_ns{0};
    std::atomic<int> frames{0};
    std::atomic<bool> overflow{false};
  };

  size_t slot_floats() const { return static_cast<size_t>(frames_per_slot_) * channels_; }
  void drop(uint64_t blocks) {
    read_seq_ += blocks;
    dropped_frames_.fetch_add(static_cast<int64_t>(blocks) * frames_per_slot_,
                              std::memory_order_relaxed);
  }

  size_t slot_count_;
  int frames_per_slot_;
  int channels_;
  std::unique_ptr<Slot[]> slots_;
  std::unique_ptr<std::atomic<float>[]> samples_;
  std::atomic<uint64_t> write_seq_{0};
  uint64_t read_seq_ = 0;  // consumer only
  std::atomic<int64_t> dropped_frames_{0};
};

}  // namespace musetalk::live
