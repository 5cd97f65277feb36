#pragma once
// A bounded buffer of audio samples addressed by their absolute position on a timeline (sample
// number since an epoch), written by one thread and read by an audio device's callback without
// locks or allocation. A slot holds position p % capacity and remembers which p it holds, so a
// read for a position never written (or long overwritten) says so instead of returning stale
// voice. Each slot's position is written around its value (a seqlock, as in Boehm, "Can seqlocks
// get along with programming language memory models?", MSPC 2012), so a slot overwritten while
// it is read is reported empty, never torn. Internal to voice_output.cpp; header-only.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>

namespace musetalk::live {

class TimelineBuffer {
 public:
  explicit TimelineBuffer(size_t capacity)
      : capacity_(capacity > 0 ? capacity : 1), slots_(new Slot[capacity_]) {
    static_assert(std::atomic<int64_t>::is_always_lock_free, "the callback must not lock");
    static_assert(std::atomic<float>::is_always_lock_free, "the callback must not lock");
  }

  size_t capacity() const { return capacity_; }

  // Writer: the sample at position pos (any value but the two lowest int64_t). Replaces the
  // sample at pos - capacity (and any other one sharing the slot).
  void store(int64_t pos, float value) {
    Slot& slot = slots_[index(pos)];
    slot.pos.store(kWriting, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    slot.value.store(value, std::memory_order_relaxed);
    slot.pos.store(pos, std::memory_order_release);
  }

  // Reader: the sample at pos, or false when the buffer holds none for it.
  bool load(int64_t pos, float& value) const {
    const Slot& slot = slots_[index(pos)];
    if (slot.pos.load(std::memory_order_acquire) != pos) return false;
    value = slot.value.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    return slot.pos.load(std::memory_order_relaxed) == pos;
  }

 private:
  static constexpr int64_t kEmpty = std::numeric_limits<int64_t>::min();
  static constexpr int64_t kWriting = kEmpty + 1;

  struct Slot {
    std::atomic<int64_t> pos{kEmpty};
    std::atomic<float> value{0.0f};
  };

  size_t index(int64_t pos) const {
    int64_t c = static_cast<int64_t>(capacity_);
    int64_t r = pos % c;
    return static_cast<size_t>(r < 0 ? r + c : r);
  }

  size_t capacity_;
  std::unique_ptr<Slot[]> slots_;
};

}  // namespace musetalk::live
