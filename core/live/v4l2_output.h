#pragma once
// The live stream as a virtual camera: frames written to a V4L2 output device (v4l2loopback) at a
// constant rate, as video-call programs expect of a webcam. write() only hands the newest frame
// to a pacing thread, which writes one frame every 1/fps on the stream's clock: the newest one
// received, the previous one again when none arrived in time, never a queue of old ones.
// Torch-free.

#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "live/v4l2_convert.h"
#include "live/v4l2_device.h"
#include "live/v4l2_io.h"
#include "stream/clock.h"
#include "stream/stream_frame.h"

namespace musetalk::live {

struct V4l2OutputOptions {
  std::string device = "/dev/video0";  // the v4l2loopback node, /dev/videoN
  V4l2PixelFormat pixel_format = V4l2PixelFormat::I420;
  int fps = 25;  // frames per second written; the frames given must carry the same rate
};

struct V4l2OutputStats {
  int64_t received = 0;    // frames given to write()
  int64_t written = 0;     // frames written to the device, repeats included
  int64_t repeated = 0;    // ticks that wrote the previous frame again: no new one had arrived
  int64_t dropped = 0;     // frames replaced by a newer one before their tick came
  int64_t late_ticks = 0;  // ticks skipped because a write ended after the next tick was due
};

class V4l2Output : public stream::FrameOutput {
 public:
  // io: the system calls (SystemV4l2Io when null); clock: the pacing clock (SteadyClock when
  // null). Nothing is opened yet.
  explicit V4l2Output(V4l2OutputOptions options, std::shared_ptr<V4l2Io> io = nullptr,
                      std::shared_ptr<const stream::Clock> clock = nullptr);
  // Stops the pacing thread and closes the device; errors are not reported (call finish()).
  ~V4l2Output() override;
  V4l2Output(const V4l2Output&) = delete;
  V4l2Output& operator=(const V4l2Output&) = delete;

  // Opens and negotiates the device for frames of width x height pixels, so that a missing or
  // wrong device is reported before anything slow starts. Odd sizes are padded, not refused: I420
  // gets both sides, YUYV the width, rounded up to even, the last column or row repeated
  // (format() has the device's size). Throws musetalk::Error naming the device and the fix
  // (live/v4l2_device.h V4l2Device::open).
  void open(int width, int height);

  // Hands one frame over: opens the device with the frame's size when open() was not called,
  // copies the frame into the one-frame slot the pacing thread takes from (replacing a frame not
  // yet written, which counts as dropped) and starts the pacing thread on the first frame. Waits
  // only for that copy. Throws musetalk::Error when the frame's size differs from the device's,
  // its fps from the options', or when the pacing thread failed since the last call (e.g. the
  // device went away).
  void write(const stream::FrameView& frame) override;

  // Writes a frame still waiting at the next tick (at most 1/fps later), stops and joins the
  // pacing thread and closes the device. Throws the pacing thread's error, if any.
  void finish() override;

  V4l2OutputStats stats() const;
  // The device layout; valid after open() or the first write().
  const V4l2Format& format() const { return device_.format(); }
  const V4l2Device& device() const { return device_; }

 private:
  void start_pacing();
  void pace();  // the pacing thread
  void stop_pacing();
  void rethrow_failure();

  V4l2OutputOptions options_;
  std::shared_ptr<const stream::Clock> clock_;
  V4l2Device device_;
  int width_ = 0, height_ = 0;  // the frames' size
  std::unique_ptr<V4l2Converter> converter_;
  bool finished_ = false;

  mutable std::mutex mutex_;   // guards everything below
  std::vector<uint8_t> slot_;  // the newest frame not yet taken: packed BGR, width_ * 3 per row
  bool slot_full_ = false;
  bool stopping_ = false;
  std::exception_ptr failure_;  // the pacing thread's error
  V4l2OutputStats stats_;
  std::thread thread_;
};

}  // namespace musetalk::live
