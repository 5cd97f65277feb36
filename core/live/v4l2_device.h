#pragma once
// One V4L2 video output device (normally a v4l2loopback virtual camera): opening it, checking it
// is an output, negotiating pixel format, size and frame rate, and writing whole frames with
// write(2) (kernel docs: Documentation/userspace-api/media/v4l/dev-output.rst, rw.rst). Every
// failure is a musetalk::Error naming the device and what to do, e.g. how to load v4l2loopback.
// Torch-free.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "live/v4l2_io.h"

namespace musetalk::live {

// The pixel formats written: both are BT.601 limited-range YUV, which every webcam consumer reads.
enum class V4l2PixelFormat {
  I420,  // V4L2_PIX_FMT_YUV420: Y plane, then U and V planes at half width and height
  YUYV,  // V4L2_PIX_FMT_YUYV: packed 4:2:2, Y0 U Y1 V per two pixels
};

const char* v4l2_pixel_format_name(V4l2PixelFormat format);  // "I420", "YUYV"
// "i420"/"yuv420" or "yuyv"/"yuy2", any case. Throws musetalk::Error naming text otherwise.
V4l2PixelFormat parse_v4l2_pixel_format(const std::string& text);

// The layout of one frame on the device.
struct V4l2Format {
  V4l2PixelFormat pixel_format = V4l2PixelFormat::I420;
  // The device's frame size in pixels: the frames' size rounded up to what the format needs (I420:
  // both sides even; YUYV: an even width). The writer fills the extra column or row by repeating
  // the last one, as media::Mp4Writer does.
  int width = 0, height = 0;
  // Bytes from one row to the next: of the Y plane for I420 (U and V rows take half), of the
  // packed rows for YUYV.
  int bytes_per_line = 0;
  size_t image_bytes = 0;  // one whole frame as written: I420 w*h*3/2, YUYV w*h*2 when unpadded
};

// The layout asked of the driver for frames of width x height pixels (the rounding above, rows
// without padding).
V4l2Format v4l2_format_for(V4l2PixelFormat pixel_format, int width, int height);

class V4l2Device {
 public:
  // path: e.g. /dev/video10. io: the system calls (SystemV4l2Io when null).
  explicit V4l2Device(std::string path, std::shared_ptr<V4l2Io> io = nullptr);
  ~V4l2Device();  // closes the device
  V4l2Device(const V4l2Device&) = delete;
  V4l2Device& operator=(const V4l2Device&) = delete;

  // Opens the device read-write, checks with VIDIOC_QUERYCAP that it is a video output, sets the
  // format with VIDIOC_S_FMT and reads it back with VIDIOC_G_FMT, then sets the frame interval
  // 1/fps with VIDIOC_S_PARM (a driver without VIDIOC_S_PARM is accepted: the caller paces the
  // frames itself). width, height: the frames' size in pixels (>= 1); fps: frames per second
  // (>= 1). Throws musetalk::Error naming the device when it is missing (how to load
  // v4l2loopback), not accessible (the video group), not an output (e.g. a webcam or a regular
  // file), or when the driver answers another pixel format or size, or too small a frame.
  const V4l2Format& open(V4l2PixelFormat pixel_format, int width, int height, int fps);

  // Writes one frame of format().image_bytes bytes. Throws musetalk::Error when the driver refuses
  // it (e.g. EAGAIN, or ENODEV when v4l2loopback was unloaded) or takes only part of it.
  void write_frame(const uint8_t* data);

  // Closes the device; open() may be called again. Never throws.
  void close();

  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  const V4l2Format& format() const { return format_; }
  // The driver's names from VIDIOC_QUERYCAP, e.g. "v4l2 loopback" and "MuseTalk".
  const std::string& driver() const { return driver_; }
  const std::string& card() const { return card_; }

 private:
  void check_output_capability();
  void set_format(V4l2PixelFormat pixel_format, int width, int height);
  void set_frame_rate(int fps);

  std::string path_;
  std::shared_ptr<V4l2Io> io_;
  int fd_ = -1;
  V4l2Format format_;
  std::string driver_, card_;
};

}  // namespace musetalk::live
