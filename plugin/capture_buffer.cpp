#include "capture_buffer.h"

#include <algorithm>
#include <thread>

namespace musetalk::obs_plugin {
namespace {

// How often pop() looks for a block: well under a video frame, and a few wake-ups per OBS audio
// tick (21.3 ms at 48 kHz) at most.
constexpr auto kPollStep = std::chrono::milliseconds(2);

}  // namespace

CaptureBuffer::CaptureBuffer(size_t blocks)
    : ring_(blocks, kBlockFrames, 1), mono_(new float[kBlockFrames]) {
  static_assert(std::atomic<uint32_t>::is_always_lock_free, "the callback must not lock");
  static_assert(std::atomic<int64_t>::is_always_lock_free, "the callback must not lock");
}

void CaptureBuffer::push(const float* const* planes, int channels, size_t frames, uint32_t rate,
                         int64_t arrival_ns) noexcept {
  packets_.fetch_add(1, std::memory_order_relaxed);
  if (!planes || channels <= 0 || frames == 0 || rate == 0) return;
  rate_.store(rate, std::memory_order_relaxed);  // published by the ring's release store
  const float scale = 1.0f / static_cast<float>(channels);
  for (size_t first = 0; first < frames; first += kBlockFrames) {
    const size_t count = std::min<size_t>(kBlockFrames, frames - first);
    std::fill(mono_.get(), mono_.get() + count, 0.0f);
    for (int c = 0; c < channels; ++c) {
      const float* in = planes[c];
      if (!in) continue;
      for (size_t i = 0; i < count; ++i) mono_[i] += in[first + i];
    }
    for (size_t i = 0; i < count; ++i) mono_[i] *= scale;
    live::CaptureBlockInfo info;
    const size_t after = frames - first - count;  // samples that arrived with this block
    info.steady_ns = arrival_ns - static_cast<int64_t>(after * 1000000000 / rate);
    ring_.push(mono_.get(), static_cast<int>(count), info);
  }
}

bool CaptureBuffer::pop(CapturedBlock& block, std::chrono::milliseconds wait) {
  block.samples.resize(kBlockFrames);
  live::CaptureBlockInfo info;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (!ring_.pop(block.samples.data(), info)) {
    const auto now = std::chrono::steady_clock::now();
    if (woken_.exchange(false, std::memory_order_relaxed) || now >= deadline) {
      block.samples.clear();
      return false;
    }
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(kPollStep, deadline - now));
  }
  block.samples.resize(static_cast<size_t>(info.frames));
  block.arrival_ns = info.steady_ns;
  block.rate = rate_.load(std::memory_order_relaxed);
  return true;
}

}  // namespace musetalk::obs_plugin
