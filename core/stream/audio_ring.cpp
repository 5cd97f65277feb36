#include "stream/audio_ring.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "stream/clock.h"

namespace musetalk::stream {

int64_t sample_pts_ns(int64_t origin_ns, int64_t position) {
  // position * 62500 ns: exact for any position below 2^63 / 62500 (about 4.7 years of audio).
  return origin_ns + position * (kNanosPerSecond / kStreamSampleRate);
}

AudioRing::AudioRing(size_t capacity_samples, int64_t gap_tolerance_ns)
    : buffer_(capacity_samples), gap_tolerance_ns_(gap_tolerance_ns) {
  if (capacity_samples == 0) throw std::invalid_argument("AudioRing: capacity must be positive");
}

void AudioRing::resize(size_t capacity_samples) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (end_ != 0 || origin_ns_) throw std::logic_error("AudioRing: resize after the first push");
  if (capacity_samples == 0) throw std::invalid_argument("AudioRing: capacity must be positive");
  buffer_.assign(capacity_samples, 0.0f);
}

void AudioRing::append_locked(const float* samples, size_t count) {
  const auto capacity = static_cast<int64_t>(buffer_.size());
  // Only the last `capacity` samples of a huge chunk can be kept.
  if (static_cast<int64_t>(count) > capacity) {
    const int64_t skip = static_cast<int64_t>(count) - capacity;
    if (samples) samples += skip;
    end_ += skip;
    count = static_cast<size_t>(capacity);
  }
  for (size_t i = 0; i < count; ++i) {
    buffer_[static_cast<size_t>((end_ + static_cast<int64_t>(i)) % capacity)] =
        samples ? samples[i] : 0.0f;
  }
  end_ += static_cast<int64_t>(count);
  const int64_t oldest_kept = end_ - capacity;
  if (oldest_kept > released_) {
    dropped_ += oldest_kept - released_;
    released_ = oldest_kept;
  }
}

void AudioRing::push(int64_t pts_ns, const float* samples, size_t count) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    if (!origin_ns_) origin_ns_ = pts_ns;
    const int64_t expected = sample_pts_ns(*origin_ns_, end_);
    if (pts_ns - expected > gap_tolerance_ns_) {
      const int64_t gap = (pts_ns - expected) / (kNanosPerSecond / kStreamSampleRate);
      const int64_t silence = std::min<int64_t>(gap, static_cast<int64_t>(buffer_.size()));
      end_ += gap - silence;  // a gap longer than the ring: only its last part is kept
      append_locked(nullptr, static_cast<size_t>(silence));
      gap_filled_ += gap;
    }
    append_locked(samples, count);
  }
  grown_.notify_all();
}

void AudioRing::close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  grown_.notify_all();
}

void AudioRing::read(int64_t begin, int64_t end, float* out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto capacity = static_cast<int64_t>(buffer_.size());
  const int64_t oldest = std::max<int64_t>(0, end_ - capacity);
  for (int64_t p = begin; p < end; ++p) {
    out[p - begin] = (p >= oldest && p < end_) ? buffer_[static_cast<size_t>(p % capacity)] : 0.0f;
  }
}

void AudioRing::release(int64_t position) {
  std::lock_guard<std::mutex> lock(mutex_);
  released_ = std::max(released_, std::min(position, end_));
}

int64_t AudioRing::wait_for(int64_t position, int64_t timeout_ns) const {
  std::unique_lock<std::mutex> lock(mutex_);
  if (timeout_ns > 0) {
    grown_.wait_for(lock, std::chrono::nanoseconds(timeout_ns),
                    [&] { return closed_ || end_ >= position; });
  }
  return end_;
}

int64_t AudioRing::end() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return end_;
}

bool AudioRing::closed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_;
}

std::optional<int64_t> AudioRing::origin_ns() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return origin_ns_;
}

int64_t AudioRing::dropped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

int64_t AudioRing::gap_filled() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return gap_filled_;
}

}  // namespace musetalk::stream
