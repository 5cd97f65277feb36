// The virtual camera through its system-call seam: a fake that answers like v4l2loopback
// (v4l2loopback.c vidioc_querycap, vidioc_s_fmt_out, vidioc_g_fmt_out, vidioc_s_parm) for
// negotiation, colour, pacing and device errors; the real system calls for a regular file.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/videodev2.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "files/error.h"
#include "live/v4l2_output.h"
#include "solid_frame.h"
#include "test_support.h"

namespace musetalk::live {
namespace {

// Answers like a v4l2loopback node loaded with exclusive_caps=1 and no writer yet: a video output
// that takes any size in I420 or YUYV, rows without padding.
class FakeLoopback : public V4l2Io {
 public:
  struct Write {
    std::vector<uint8_t> bytes;
    int64_t t_ns;
  };

  explicit FakeLoopback(std::shared_ptr<const stream::Clock> clock = nullptr)
      : clock_(clock ? std::move(clock) : std::make_shared<stream::SteadyClock>()) {}

  int open_errno = 0;         // open() fails with it when set
  bool capture_only = false;  // QUERYCAP reports a webcam
  uint32_t fixed_format = 0;  // as keep_format: S_FMT answers this YUYV 640x480 instead
  int write_errno = 0;        // write() fails with it ...
  int64_t fail_after = 0;     // ... once this many frames were taken
  int s_parm_errno = 0;

  int open(const std::string& path, int flags) override {
    opened_path = path;
    open_flags = flags;
    return open_errno ? -open_errno : 7;
  }

  int ioctl(int fd, unsigned long request, void* arg) override {
    EXPECT_EQ(fd, 7);
    switch (request) {
      case VIDIOC_QUERYCAP: {
        auto* cap = static_cast<v4l2_capability*>(arg);
        std::memset(cap, 0, sizeof(*cap));
        std::strncpy(reinterpret_cast<char*>(cap->driver),
                     capture_only ? "uvcvideo" : "v4l2 loopback", sizeof(cap->driver));
        std::strncpy(reinterpret_cast<char*>(cap->card), capture_only ? "HD Webcam" : "MuseTalk",
                     sizeof(cap->card));
        uint32_t node = (capture_only ? V4L2_CAP_VIDEO_CAPTURE : V4L2_CAP_VIDEO_OUTPUT) |
                        V4L2_CAP_STREAMING | (capture_only ? 0 : V4L2_CAP_READWRITE);
        cap->device_caps = node;
        // The whole device may do more than this node: only device_caps counts.
        cap->capabilities = node | V4L2_CAP_VIDEO_OUTPUT | V4L2_CAP_DEVICE_CAPS;
        return 0;
      }
      case VIDIOC_S_FMT: {
        auto* f = static_cast<v4l2_format*>(arg);
        if (f->type != V4L2_BUF_TYPE_VIDEO_OUTPUT) return -EINVAL;
        v4l2_pix_format& pix = f->fmt.pix;
        if (fixed_format) {
          pix.pixelformat = fixed_format;
          pix.width = 640;
          pix.height = 480;
        }
        bool planar = pix.pixelformat == V4L2_PIX_FMT_YUV420;
        if (!planar && pix.pixelformat != V4L2_PIX_FMT_YUYV) return -EINVAL;
        // v4l2loopback.c pix_format_set_size: planar rows are the Y plane's.
        pix.bytesperline = planar ? pix.width : pix.width * 2;
        pix.sizeimage = pix.width * pix.height * (planar ? 12 : 16) / 8;
        format = *f;
        format_set = true;
        return 0;
      }
      case VIDIOC_G_FMT: {
        auto* f = static_cast<v4l2_format*>(arg);
        if (!format_set || f->type != V4L2_BUF_TYPE_VIDEO_OUTPUT) return -EINVAL;
        *f = format;
        return 0;
      }
      case VIDIOC_S_PARM: {
        if (s_parm_errno) return -s_parm_errno;
        parm = *static_cast<v4l2_streamparm*>(arg);
        return 0;
      }
      default:
        return -ENOTTY;
    }
  }

  ssize_t write(int fd, const void* data, size_t bytes) override {
    EXPECT_EQ(fd, 7);
    std::lock_guard<std::mutex> lock(mutex_);
    if (write_errno && static_cast<int64_t>(writes_.size()) >= fail_after) return -write_errno;
    const auto* p = static_cast<const uint8_t*>(data);
    writes_.push_back({std::vector<uint8_t>(p, p + bytes), clock_->now_ns()});
    return static_cast<ssize_t>(bytes);
  }

  int close(int fd) override {
    EXPECT_EQ(fd, 7);
    ++closes;
    return 0;
  }

  std::vector<Write> writes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return writes_;
  }

  std::string opened_path;
  int open_flags = 0;
  v4l2_format format{};
  bool format_set = false;
  v4l2_streamparm parm{};
  int closes = 0;

 private:
  std::shared_ptr<const stream::Clock> clock_;
  mutable std::mutex mutex_;
  std::vector<Write> writes_;
};

using Frame = test::SolidFrame;

V4l2OutputOptions options(V4l2PixelFormat format, int fps = 25) {
  V4l2OutputOptions o;
  o.device = "/dev/video7";
  o.pixel_format = format;
  o.fps = fps;
  return o;
}

// Runs fn, which must throw musetalk::Error whose text holds every part.
void expect_error(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no error thrown";
  } catch (const Error& e) {
    for (const auto& part : parts)
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
          << "'" << part << "' not in: " << e.what();
  }
}

// The BT.601 limited-range values of one BGR colour, as V4L2 consumers decode them.
struct Yuv {
  double y, u, v;
};
Yuv bt601(double b, double g, double r) {
  return {16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255,
          128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255,
          128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255};
}

TEST(V4l2Output, NegotiatesI420AndWritesWholeFrames) {
  auto fake = std::make_shared<FakeLoopback>();
  V4l2Output out(options(V4l2PixelFormat::I420, 30), fake);
  out.open(64, 48);
  EXPECT_EQ(fake->opened_path, "/dev/video7");
  EXPECT_EQ(fake->open_flags & O_ACCMODE, O_RDWR);
  EXPECT_EQ(fake->format.fmt.pix.pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_YUV420));
  EXPECT_EQ(fake->format.fmt.pix.width, 64u);
  EXPECT_EQ(fake->format.fmt.pix.height, 48u);
  EXPECT_EQ(fake->parm.type, static_cast<uint32_t>(V4L2_BUF_TYPE_VIDEO_OUTPUT));
  EXPECT_EQ(fake->parm.parm.output.timeperframe.numerator, 1u);
  EXPECT_EQ(fake->parm.parm.output.timeperframe.denominator, 30u);
  EXPECT_EQ(out.format().image_bytes, 64u * 48 * 3 / 2);

  Frame grey(64, 48, 128, 128, 128, 30);
  out.write(grey.view);
  out.finish();
  EXPECT_EQ(fake->closes, 1);
  auto writes = fake->writes();
  ASSERT_GE(writes.size(), 1u);
  const auto& bytes = writes[0].bytes;
  ASSERT_EQ(bytes.size(), 64u * 48 * 3 / 2);
  Yuv want = bt601(128, 128, 128);  // 125.9, 128, 128
  for (size_t i = 0; i < 64 * 48; ++i) ASSERT_NEAR(bytes[i], want.y, 1.0) << "Y " << i;
  for (size_t i = 64 * 48; i < bytes.size(); ++i) ASSERT_NEAR(bytes[i], 128, 1.0) << "UV " << i;
}

TEST(V4l2Output, NegotiatesYuyvAndWritesWholeFrames) {
  auto fake = std::make_shared<FakeLoopback>();
  V4l2Output out(options(V4l2PixelFormat::YUYV), fake);
  out.open(64, 48);
  EXPECT_EQ(fake->format.fmt.pix.pixelformat, static_cast<uint32_t>(V4L2_PIX_FMT_YUYV));
  Frame grey(64, 48, 128, 128, 128);
  out.write(grey.view);
  out.finish();
  auto writes = fake->writes();
  ASSERT_GE(writes.size(), 1u);
  const auto& bytes = writes[0].bytes;
  ASSERT_EQ(bytes.size(), 64u * 48 * 2);
  for (size_t i = 0; i < bytes.size(); i += 2) {
    ASSERT_NEAR(bytes[i], 125.9, 1.0) << "Y " << i;
    ASSERT_NEAR(bytes[i + 1], 128, 1.0) << "U/V " << i;
  }
}

TEST(V4l2Output, ConvertsAKnownColourAsBt601LimitedRange) {
  for (auto format : {V4l2PixelFormat::I420, V4l2PixelFormat::YUYV}) {
    SCOPED_TRACE(v4l2_pixel_format_name(format));
    auto fake = std::make_shared<FakeLoopback>();
    V4l2Output out(options(format), fake);
    Frame red(32, 16, 0, 0, 255);  // BGR
    out.write(red.view);
    out.finish();
    auto writes = fake->writes();
    ASSERT_GE(writes.size(), 1u);
    const auto& b = writes[0].bytes;
    Yuv want = bt601(0, 0, 255);  // 81.5, 90.2, 240
    // The pixel at (5, 3): I420 planes, or YUYV's Y0 U Y1 V.
    double y = format == V4l2PixelFormat::I420 ? b[3 * 32 + 5] : b[3 * 64 + 5 * 2];
    double u = format == V4l2PixelFormat::I420 ? b[32 * 16 + 1 * 16 + 2] : b[3 * 64 + 4 * 2 + 1];
    double v =
        format == V4l2PixelFormat::I420 ? b[32 * 16 + 16 * 8 + 1 * 16 + 2] : b[3 * 64 + 4 * 2 + 3];
    EXPECT_NEAR(y, want.y, 2.0);
    EXPECT_NEAR(u, want.u, 2.0);
    EXPECT_NEAR(v, want.v, 2.0);
  }
}

TEST(V4l2Output, PadsOddSizesByRepeatingTheLastColumnAndRow) {
  auto fake = std::make_shared<FakeLoopback>();
  V4l2Output out(options(V4l2PixelFormat::I420), fake);
  Frame frame(63, 47, 0, 0, 0);
  // Last column white, last row grey: the padding must repeat them.
  for (int y = 0; y < 47; ++y) std::memset(&frame.bgr[(y * 63 + 62) * 3], 255, 3);
  for (int x = 0; x < 62; ++x) std::memset(&frame.bgr[(46 * 63 + x) * 3], 128, 3);
  out.write(frame.view);
  out.finish();
  EXPECT_EQ(out.format().width, 64);
  EXPECT_EQ(out.format().height, 48);
  EXPECT_EQ(fake->format.fmt.pix.width, 64u);
  EXPECT_EQ(fake->format.fmt.pix.height, 48u);
  auto writes = fake->writes();
  ASSERT_GE(writes.size(), 1u);
  const auto& b = writes[0].bytes;
  ASSERT_EQ(b.size(), 64u * 48 * 3 / 2);
  EXPECT_NEAR(b[10 * 64 + 63], 235, 1);  // padded column: white
  EXPECT_NEAR(b[47 * 64 + 10], 126, 1);  // padded row: grey
  EXPECT_NEAR(b[10 * 64 + 10], 16, 1);   // black inside
}

TEST(V4l2Output, YuyvPadsOnlyAnOddWidth) {
  auto fake = std::make_shared<FakeLoopback>();
  V4l2Output out(options(V4l2PixelFormat::YUYV), fake);
  out.open(63, 47);
  EXPECT_EQ(fake->format.fmt.pix.width, 64u);
  EXPECT_EQ(fake->format.fmt.pix.height, 47u);
  EXPECT_EQ(out.format().image_bytes, 64u * 47 * 2);
}

// Feeds count frames, frame i at i * interval_ns on the clock, each a grey level naming it, then
// finishes. Returns the stats.
V4l2OutputStats feed(V4l2Output& out, const stream::Clock& clock, int count, int64_t interval_ns) {
  int64_t origin = clock.now_ns();
  for (int i = 0; i < count; ++i) {
    clock.sleep_until_ns(origin + i * interval_ns);
    Frame frame(16, 16, static_cast<uint8_t>(i), static_cast<uint8_t>(i), static_cast<uint8_t>(i));
    out.write(frame.view);
  }
  out.finish();
  return out.stats();
}

// Checks what every pacing run must hold: each tick wrote one frame, ticks 1/fps apart, the
// newest frame each time (grey levels never go back).
void expect_paced(const FakeLoopback& fake, const V4l2OutputStats& stats, int fps) {
  auto writes = fake.writes();
  EXPECT_EQ(static_cast<int64_t>(writes.size()), stats.written);
  EXPECT_EQ(stats.written, stats.received - stats.dropped + stats.repeated);
  ASSERT_GE(writes.size(), 2u);
  double period =
      (writes.back().t_ns - writes.front().t_ns) / double(writes.size() - 1 + stats.late_ticks);
  EXPECT_NEAR(period, 1e9 / fps, 0.1e9 / fps);
  for (size_t i = 1; i < writes.size(); ++i)
    ASSERT_GE(writes[i].bytes[0], writes[i - 1].bytes[0]) << "write " << i;
}

TEST(V4l2Output, RepeatsTheLastFrameWhenFramesComeAtHalfTheRate) {
  auto clock = std::make_shared<stream::ScaledClock>(4.0);
  auto fake = std::make_shared<FakeLoopback>(clock);
  V4l2Output out(options(V4l2PixelFormat::I420, 25), fake, clock);
  const int count = 50;
  auto stats = feed(out, *clock, count, 2 * stream::kNanosPerSecond / 25);
  EXPECT_EQ(stats.received, count);
  // 50 frames over 49 * 80 ms: 98 ticks until the last frame, then one that writes it, every
  // frame but the first repeated once. The bounds leave room for a loaded machine.
  EXPECT_NEAR(stats.written + stats.late_ticks, 2 * count - 1, count / 5);
  EXPECT_GE(stats.repeated, count / 2);
  EXPECT_LE(stats.dropped, count / 5);
  expect_paced(*fake, stats, 25);
}

TEST(V4l2Output, DropsOlderFramesWhenFramesComeAtTwiceTheRate) {
  auto clock = std::make_shared<stream::ScaledClock>(4.0);
  auto fake = std::make_shared<FakeLoopback>(clock);
  V4l2Output out(options(V4l2PixelFormat::I420, 25), fake, clock);
  const int count = 100;
  auto stats = feed(out, *clock, count, stream::kNanosPerSecond / 50);
  EXPECT_EQ(stats.received, count);
  // 100 frames over 99 * 20 ms: 50 ticks and one more for the last frame, each writing the newer
  // of two frames.
  EXPECT_NEAR(stats.written + stats.late_ticks, count / 2 + 1, count / 10);
  EXPECT_GE(stats.dropped, count / 3);
  EXPECT_LE(stats.repeated, count / 5);
  expect_paced(*fake, stats, 25);
  // The last frame given is the last one written.
  EXPECT_NEAR(fake->writes().back().bytes[0], bt601(99, 99, 99).y, 1.0);
}

TEST(V4l2Output, ReportsAFailedWriteOnTheNextCall) {
  for (int code : {ENODEV, EAGAIN}) {
    SCOPED_TRACE(code);
    auto clock = std::make_shared<stream::ScaledClock>(10.0);
    auto fake = std::make_shared<FakeLoopback>(clock);
    fake->write_errno = code;
    fake->fail_after = 2;
    V4l2Output out(options(V4l2PixelFormat::YUYV), fake, clock);
    Frame frame(16, 16, 1, 2, 3);
    out.write(frame.view);
    std::vector<std::string> parts = {"/dev/video7"};
    parts.push_back(code == ENODEV ? "sudo modprobe v4l2loopback" : "did not take a frame");
    // The third tick fails; a write() after it reports that.
    bool reported = false;
    for (int i = 0; i < 1000 && !reported; ++i) {
      clock->sleep_until_ns(clock->now_ns() + stream::kNanosPerSecond / 25);
      try {
        out.write(frame.view);
      } catch (const Error&) {
        reported = true;
        expect_error([&] { out.write(frame.view); }, parts);
      }
    }
    EXPECT_TRUE(reported);
    expect_error([&] { out.finish(); }, parts);
    EXPECT_EQ(fake->writes().size(), 2u);
    EXPECT_EQ(fake->closes, 1);
  }
}

TEST(V4l2Output, DestructorStopsAPacingThreadWithoutFinish) {
  auto clock = std::make_shared<stream::ScaledClock>(10.0);
  auto fake = std::make_shared<FakeLoopback>(clock);
  {
    V4l2Output out(options(V4l2PixelFormat::I420), fake, clock);
    Frame frame(16, 16, 1, 2, 3);
    out.write(frame.view);
  }
  EXPECT_EQ(fake->closes, 1);
  EXPECT_GE(fake->writes().size(), 1u);
}

TEST(V4l2Output, RefusesFramesOfAnotherSizeOrRate) {
  auto fake = std::make_shared<FakeLoopback>();
  V4l2Output out(options(V4l2PixelFormat::I420), fake);
  out.open(32, 32);
  Frame other(16, 16, 0, 0, 0);
  expect_error([&] { out.write(other.view); }, {"/dev/video7", "16x16", "32x32"});
  Frame fast(32, 32, 0, 0, 0, 50);
  expect_error([&] { out.write(fast.view); }, {"50 fps", "25 fps"});
}

TEST(V4l2Output, MissingDeviceSaysHowToLoadV4l2loopback) {
  for (int code : {ENOENT, ENXIO, ENODEV}) {
    auto fake = std::make_shared<FakeLoopback>();
    fake->open_errno = code;
    V4l2Output out(options(V4l2PixelFormat::I420), fake);
    expect_error([&] { out.open(64, 48); },
                 {"/dev/video7",
                  "sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label=MuseTalk"});
  }
}

TEST(V4l2Output, DeniedDeviceSaysToJoinTheVideoGroup) {
  for (int code : {EACCES, EPERM}) {
    auto fake = std::make_shared<FakeLoopback>();
    fake->open_errno = code;
    V4l2Output out(options(V4l2PixelFormat::I420), fake);
    expect_error([&] { out.open(64, 48); },
                 {"/dev/video7", "sudo usermod -aG video $USER, then log in again"});
  }
}

TEST(V4l2Output, CaptureDeviceIsRefusedAsNotAnOutput) {
  auto fake = std::make_shared<FakeLoopback>();
  fake->capture_only = true;
  V4l2Output out(options(V4l2PixelFormat::I420), fake);
  expect_error([&] { out.open(64, 48); }, {"/dev/video7", "HD Webcam", "capture device",
                                           "not a video output", "v4l2loopback"});
  EXPECT_FALSE(fake->format_set);
  EXPECT_EQ(fake->closes, 1);
}

TEST(V4l2Output, AnotherFormatFromTheDriverIsRefused) {
  auto fake = std::make_shared<FakeLoopback>();
  fake->fixed_format = V4L2_PIX_FMT_YUYV;
  V4l2Output out(options(V4l2PixelFormat::I420), fake);
  expect_error([&] { out.open(64, 48); },
               {"/dev/video7", "YUYV 640x480 instead of I420 64x48", "modprobe"});
  EXPECT_EQ(fake->closes, 1);
}

TEST(V4l2Output, RefusedFrameRateIsAnError) {
  auto fake = std::make_shared<FakeLoopback>();
  fake->s_parm_errno = EINVAL;
  V4l2Output out(options(V4l2PixelFormat::I420, 240), fake);
  expect_error([&] { out.open(64, 48); }, {"/dev/video7", "240 fps"});
  // A driver without frame-rate control is fine: the writer paces itself.
  auto plain = std::make_shared<FakeLoopback>();
  plain->s_parm_errno = ENOTTY;
  V4l2Output ok(options(V4l2PixelFormat::I420), plain);
  EXPECT_NO_THROW(ok.open(64, 48));
}

TEST(V4l2Output, RegularFileIsNotAVideoDeviceWithTheRealCalls) {
  test::TempDir dir;
  std::string path = dir.file("video0");
  std::ofstream(path) << "not a device";
  V4l2OutputOptions o;
  o.device = path;
  V4l2Output out(o);
  expect_error([&] { out.open(64, 48); },
               {path, "is not a video device", "VIDIOC_QUERYCAP", "v4l2loopback"});
}

TEST(V4l2Output, MissingPathWithTheRealCalls) {
  test::TempDir dir;
  V4l2OutputOptions o;
  o.device = dir.file("video99");
  V4l2Output out(o);
  expect_error([&] { out.open(64, 48); }, {o.device, "no such video device", "modprobe"});
}

TEST(V4l2PixelFormat, ParsesNames) {
  EXPECT_EQ(parse_v4l2_pixel_format("I420"), V4l2PixelFormat::I420);
  EXPECT_EQ(parse_v4l2_pixel_format("yuyv"), V4l2PixelFormat::YUYV);
  expect_error([] { parse_v4l2_pixel_format("mjpeg"); }, {"mjpeg", "i420 or yuyv"});
}

}  // namespace
}  // namespace musetalk::live
