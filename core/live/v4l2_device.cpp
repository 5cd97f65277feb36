#include "live/v4l2_device.h"

#include <fcntl.h>
#include <linux/videodev2.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "files/error.h"

namespace musetalk::live {
namespace {

constexpr const char* kLoadLoopback =
    "load v4l2loopback: sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label=MuseTalk";
constexpr const char* kJoinVideoGroup =
    "add yourself to the video group: sudo usermod -aG video $USER, then log in again";
constexpr const char* kUseLoopback =
    "pass the v4l2loopback device instead (v4l2-ctl --list-devices lists it, as MuseTalk when "
    "loaded with card_label=MuseTalk); to create one: sudo modprobe v4l2loopback devices=1 "
    "exclusive_caps=1 card_label=MuseTalk";
constexpr const char* kReloadLoopback =
    "stop the other program using it, or reload v4l2loopback: sudo modprobe -r v4l2loopback, then "
    "sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label=MuseTalk";

std::string errno_text(int code) {
  return std::generic_category().message(code);
}

uint32_t fourcc(V4l2PixelFormat format) {
  return format == V4l2PixelFormat::I420 ? V4L2_PIX_FMT_YUV420 : V4L2_PIX_FMT_YUYV;
}

// A FOURCC as its four letters, e.g. "YU12" for V4L2_PIX_FMT_YUV420.
std::string fourcc_text(uint32_t code) {
  std::string text;
  for (int i = 0; i < 4; ++i) {
    char c = static_cast<char>((code >> (8 * i)) & 0xff);
    text += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  }
  return text;
}

std::string size_text(uint32_t width, uint32_t height) {
  return std::to_string(width) + "x" + std::to_string(height);
}

// A fixed-size, possibly unterminated driver string.
std::string driver_string(const uint8_t* text, size_t size) {
  const auto* chars = reinterpret_cast<const char*>(text);
  return std::string(chars, strnlen(chars, size));
}

// The bytes of one frame with rows bytes_per_line apart (V4L2 spec pixfmt-yuv-planar.rst: the
// chroma rows of YUV420 take half of bytesperline).
size_t frame_bytes(V4l2PixelFormat format, size_t bytes_per_line, size_t height) {
  if (format == V4l2PixelFormat::YUYV) return bytes_per_line * height;
  return bytes_per_line * height + 2 * (bytes_per_line / 2) * (height / 2);
}

Error open_error(const std::string& path, int code) {
  switch (code) {
    case ENOENT:
      return Error(path, "no such video device", kLoadLoopback);
    case ENXIO:
    case ENODEV:
      return Error(path, "the video device is not present (" + errno_text(code) + ")",
                   kLoadLoopback);
    case EACCES:
    case EPERM:
      return Error(path, "no permission to open the video device (" + errno_text(code) + ")",
                   kJoinVideoGroup);
    case EBUSY:
      return Error(path, "the video device is busy", kReloadLoopback);
    default:
      return Error(path, "cannot open the video device (" + errno_text(code) + ")", kUseLoopback);
  }
}

}  // namespace

const char* v4l2_pixel_format_name(V4l2PixelFormat format) {
  return format == V4l2PixelFormat::I420 ? "I420" : "YUYV";
}

V4l2PixelFormat parse_v4l2_pixel_format(const std::string& text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "i420" || lower == "yuv420") return V4l2PixelFormat::I420;
  if (lower == "yuyv" || lower == "yuy2") return V4l2PixelFormat::YUYV;
  throw Error(text, "is not a pixel format the virtual camera writes", "use i420 or yuyv");
}

V4l2Format v4l2_format_for(V4l2PixelFormat pixel_format, int width, int height) {
  V4l2Format f;
  f.pixel_format = pixel_format;
  f.width = width + (width & 1);
  f.height = pixel_format == V4l2PixelFormat::I420 ? height + (height & 1) : height;
  f.bytes_per_line = pixel_format == V4l2PixelFormat::I420 ? f.width : f.width * 2;
  f.image_bytes = frame_bytes(pixel_format, f.bytes_per_line, f.height);
  return f;
}

V4l2Device::V4l2Device(std::string path, std::shared_ptr<V4l2Io> io)
    : path_(std::move(path)), io_(io ? std::move(io) : std::make_shared<SystemV4l2Io>()) {}

V4l2Device::~V4l2Device() {
  close();
}

const V4l2Format& V4l2Device::open(V4l2PixelFormat pixel_format, int width, int height, int fps) {
  if (fd_ >= 0) throw Error(path_, "the video device is already open", "close it first");
  if (width <= 0 || height <= 0)
    throw Error(path_,
                "frame size " + std::to_string(width) + "x" + std::to_string(height) +
                    " is not a positive size",
                "give frames at least 1x1 pixels");
  if (fps <= 0) throw Error(path_, "frame rate must be positive", "pass e.g. 25");
  int fd = io_->open(path_, O_RDWR);
  if (fd < 0) throw open_error(path_, -fd);
  fd_ = fd;
  try {
    check_output_capability();
    set_format(pixel_format, width, height);
    set_frame_rate(fps);
  } catch (...) {
    close();
    throw;
  }
  return format_;
}

void V4l2Device::check_output_capability() {
  v4l2_capability cap{};
  int rc = io_->ioctl(fd_, VIDIOC_QUERYCAP, &cap);
  if (rc == -ENOTTY || rc == -EINVAL)
    throw Error(path_, "is not a video device (VIDIOC_QUERYCAP: " + errno_text(-rc) + ")",
                kUseLoopback);
  if (rc < 0)
    throw Error(path_, "cannot query the video device (" + errno_text(-rc) + ")", kUseLoopback);
  driver_ = driver_string(cap.driver, sizeof(cap.driver));
  card_ = driver_string(cap.card, sizeof(cap.card));
  // With V4L2_CAP_DEVICE_CAPS, capabilities covers the whole physical device and device_caps this
  // node (V4L2 spec vidioc-querycap.rst).
  uint32_t caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
  std::string name = "'" + card_ + "' (driver " + driver_ + ")";
  if (!(caps & V4L2_CAP_VIDEO_OUTPUT)) {
    std::string problem = name + " is a capture device such as a webcam, not a video output";
    // v4l2loopback with exclusive_caps=1 shows only capture while another program writes to it.
    if (driver_ == "v4l2 loopback") problem += "; another program may be writing to it already";
    throw Error(path_, problem, kUseLoopback);
  }
  if (!(caps & V4L2_CAP_READWRITE))
    throw Error(path_, name + " is a video output that does not take frames by write()",
                kUseLoopback);
}

void V4l2Device::set_format(V4l2PixelFormat pixel_format, int width, int height) {
  V4l2Format want = v4l2_format_for(pixel_format, width, height);
  v4l2_format asked{};
  asked.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
  v4l2_pix_format& pix = asked.fmt.pix;
  pix.width = static_cast<uint32_t>(want.width);
  pix.height = static_cast<uint32_t>(want.height);
  pix.pixelformat = fourcc(pixel_format);
  pix.field = V4L2_FIELD_NONE;
  pix.bytesperline = static_cast<uint32_t>(want.bytes_per_line);
  pix.sizeimage = static_cast<uint32_t>(want.image_bytes);
  pix.colorspace = V4L2_COLORSPACE_SMPTE170M;  // BT.601
  pix.ycbcr_enc = V4L2_YCBCR_ENC_601;
  pix.quantization = V4L2_QUANTIZATION_LIM_RANGE;
  std::string wanted =
      std::string(v4l2_pixel_format_name(pixel_format)) + " " + size_text(pix.width, pix.height);
  const v4l2_pix_format request = pix;  // S_FMT overwrites asked with the driver's answer
  int rc = io_->ioctl(fd_, VIDIOC_S_FMT, &asked);
  if (rc == -EBUSY)
    throw Error(path_, "cannot set " + wanted + ": the device is in use with another format",
                kReloadLoopback);
  if (rc < 0)
    throw Error(path_, "the driver refused " + wanted + " (" + errno_text(-rc) + ")",
                "try the other pixel format (I420 or YUYV) or another frame size");

  // What the driver holds now; S_FMT's own answer when it cannot tell.
  v4l2_format got{};
  got.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
  if (io_->ioctl(fd_, VIDIOC_G_FMT, &got) < 0) got = asked;
  const v4l2_pix_format& answer = got.fmt.pix;
  if (answer.pixelformat != request.pixelformat || answer.width != request.width ||
      answer.height != request.height)
    throw Error(path_,
                "the driver set " + fourcc_text(answer.pixelformat) + " " +
                    size_text(answer.width, answer.height) + " instead of " + wanted + " (" +
                    fourcc_text(request.pixelformat) + ")",
                kReloadLoopback);
  size_t bytes_per_line = answer.bytesperline ? answer.bytesperline : request.bytesperline;
  if (bytes_per_line < request.bytesperline)
    throw Error(path_,
                "the driver's rows of " + std::to_string(bytes_per_line) +
                    " bytes are too short for " + wanted,
                "update v4l2loopback to 0.12 or newer");
  size_t needed = frame_bytes(pixel_format, bytes_per_line, request.height);
  size_t image_bytes = answer.sizeimage ? answer.sizeimage : needed;
  if (image_bytes < needed)
    throw Error(path_,
                "the driver's frame of " + std::to_string(image_bytes) +
                    " bytes is smaller than one " + wanted + " frame (" + std::to_string(needed) +
                    " bytes)",
                "update v4l2loopback to 0.12 or newer");
  format_ = want;
  format_.bytes_per_line = static_cast<int>(bytes_per_line);
  format_.image_bytes = image_bytes;
}

void V4l2Device::set_frame_rate(int fps) {
  v4l2_streamparm parm{};
  parm.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
  parm.parm.output.timeperframe.numerator = 1;
  parm.parm.output.timeperframe.denominator = static_cast<uint32_t>(fps);
  int rc = io_->ioctl(fd_, VIDIOC_S_PARM, &parm);
  if (rc == -ENOTTY) return;  // no frame-rate control: the consumers see the pace we write at
  if (rc < 0)
    throw Error(path_,
                "the driver refused " + std::to_string(fps) + " fps (" + errno_text(-rc) + ")",
                "try 25 or 30 fps");
}

void V4l2Device::write_frame(const uint8_t* data) {
  if (fd_ < 0) throw Error(path_, "the video device is not open", "call open first");
  ssize_t n = io_->write(fd_, data, format_.image_bytes);
  if (n == -ENODEV || n == -ENXIO)
    throw Error(path_, "the video device went away (" + errno_text(static_cast<int>(-n)) + ")",
                kLoadLoopback);
  if (n == -EAGAIN)
    throw Error(path_, "the video device did not take a frame (" + errno_text(EAGAIN) + ")",
                kReloadLoopback);
  if (n < 0)
    throw Error(path_, "cannot write a frame (" + errno_text(static_cast<int>(-n)) + ")",
                "check the device with v4l2-ctl -d " + path_ + " --all");
  if (static_cast<size_t>(n) != format_.image_bytes)
    throw Error(path_,
                "the video device took " + std::to_string(n) + " of the " +
                    std::to_string(format_.image_bytes) + " bytes of a frame",
                kReloadLoopback);
}

void V4l2Device::close() {
  if (fd_ < 0) return;
  io_->close(fd_);
  fd_ = -1;
}

}  // namespace musetalk::live
