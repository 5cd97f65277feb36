#include "capture_buffer.h"

#include <algorithm>

namespace musetalk::obs_plugin {
namespace {

int64_t duration_ns(const CapturedPacket& p) {
  return p.rate == 0 ? 0 : static_cast<int64_t>(p.frames) * 1000000000 / p.rate;
}

}  // namespace

CaptureBuffer::CaptureBuffer(int64_t max_ns) : max_ns_(max_ns) {}

void CaptureBuffer::push(const float* const* planes, int channels, int speakers, size_t frames,
                         uint32_t rate, int64_t arrival_ns) {
  if (channels <= 0 || frames == 0 || rate == 0) return;
  CapturedPacket p;
  p.arrival_ns = arrival_ns;
  p.rate = rate;
  p.speakers = speakers;
  p.channels = channels;
  p.frames = frames;
  p.planes.resize(static_cast<size_t>(channels) * frames);
  for (int c = 0; c < channels; ++c) {
    float* out = p.planes.data() + static_cast<size_t>(c) * frames;
    if (planes[c]) {
      std::copy(planes[c], planes[c] + frames, out);
    } else {
      std::fill(out, out + frames, 0.0f);
    }
  }
  ++packets_;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    held_ns_ += duration_ns(p);
    queue_.push_back(std::move(p));
    while (held_ns_ > max_ns_ && queue_.size() > 1) {
      held_ns_ -= duration_ns(queue_.front());
      queue_.pop_front();
      ++dropped_;
    }
  }
  ready_.notify_one();
}

std::deque<CapturedPacket> CaptureBuffer::take(std::chrono::milliseconds timeout) {
  std::deque<CapturedPacket> out;
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.wait_for(lock, timeout, [&] { return !queue_.empty() || woken_; });
  woken_ = false;
  out.swap(queue_);
  held_ns_ = 0;
  return out;
}

void CaptureBuffer::wake() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    woken_ = true;
  }
  ready_.notify_all();
}

}  // namespace musetalk::obs_plugin
