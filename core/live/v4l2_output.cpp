#include "live/v4l2_output.h"

#include <cstring>
#include <utility>

#include "files/error.h"

namespace musetalk::live {

V4l2Output::V4l2Output(V4l2OutputOptions options, std::shared_ptr<V4l2Io> io,
                       std::shared_ptr<const stream::Clock> clock)
    : options_(std::move(options)),
      clock_(clock ? std::move(clock) : std::make_shared<stream::SteadyClock>()),
      device_(options_.device, std::move(io)) {}

V4l2Output::~V4l2Output() {
  stop_pacing();
}

void V4l2Output::open(int width, int height) {
  if (device_.is_open())
    throw Error(options_.device, "the virtual camera is already open",
                "call open once, before the first frame");
  device_.open(options_.pixel_format, width, height, options_.fps);
  try {
    converter_ = std::make_unique<V4l2Converter>(width, height, device_.format());
  } catch (...) {
    device_.close();
    throw;
  }
  width_ = width;
  height_ = height;
}

void V4l2Output::write(const stream::FrameView& frame) {
  if (finished_)
    throw Error(options_.device, "a frame was written after finish()", "write before finish()");
  rethrow_failure();
  if (!device_.is_open()) open(frame.width, frame.height);
  if (frame.width != width_ || frame.height != height_)
    throw Error(options_.device,
                "a " + std::to_string(frame.width) + "x" + std::to_string(frame.height) +
                    " frame came to a virtual camera opened at " + std::to_string(width_) + "x" +
                    std::to_string(height_),
                "keep one frame size for the whole stream");
  if (frame.fps != options_.fps)
    throw Error(options_.device,
                "a frame at " + std::to_string(frame.fps) + " fps came to a virtual camera at " +
                    std::to_string(options_.fps) + " fps",
                "open the virtual camera with the stream's frame rate");
  const size_t row = static_cast<size_t>(width_) * 3;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    slot_.resize(row * height_);
    for (int y = 0; y < height_; ++y)
      std::memcpy(slot_.data() + y * row, frame.bgr + static_cast<size_t>(y) * frame.stride, row);
    if (slot_full_) ++stats_.dropped;
    slot_full_ = true;
    ++stats_.received;
  }
  if (!thread_.joinable()) start_pacing();
}

void V4l2Output::start_pacing() {
  thread_ = std::thread([this] { pace(); });
}

void V4l2Output::pace() {
  const int64_t fps = options_.fps;
  const int64_t origin = clock_->now_ns();
  std::vector<uint8_t> bgr;  // the frame being converted, swapped with slot_
  std::vector<uint8_t> yuv(device_.format().image_bytes, 0);
  bool have_frame = false;
  try {
    for (int64_t tick = 0;; ++tick) {
      // Tick times from the origin, so that rounding never accumulates into drift.
      clock_->sleep_until_ns(origin + tick * stream::kNanosPerSecond / fps);
      bool fresh = false, stop = false;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stop = stopping_;
        if (slot_full_) {
          std::swap(bgr, slot_);
          slot_full_ = false;
          fresh = true;
        }
      }
      if (fresh) {
        converter_->convert(bgr.data(), width_ * 3, yuv.data());
        have_frame = true;
      } else if (stop || !have_frame) {
        break;
      }
      device_.write_frame(yuv.data());
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++stats_.written;
        if (!fresh) ++stats_.repeated;
      }
      if (stop) break;
      // A tick already past in full is skipped: the camera gets no burst of catch-up frames.
      int64_t due = (clock_->now_ns() - origin) * fps / stream::kNanosPerSecond;
      if (due > tick + 1) {
        std::lock_guard<std::mutex> lock(mutex_);
        stats_.late_ticks += due - (tick + 1);
        tick = due - 1;
      }
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    failure_ = std::current_exception();
  }
}

void V4l2Output::stop_pacing() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  device_.close();
}

void V4l2Output::rethrow_failure() {
  std::exception_ptr failure;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    failure = failure_;
  }
  if (failure) std::rethrow_exception(failure);
}

void V4l2Output::finish() {
  if (finished_) return;
  finished_ = true;
  stop_pacing();
  rethrow_failure();
}

V4l2OutputStats V4l2Output::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace musetalk::live
