#include "media/video_reader.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "files/error.h"
#include "media/ffmpeg_util.h"

extern "C" {
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

namespace musetalk::media {
namespace {

namespace fs = std::filesystem;

// Timestamps closer than this (seconds) count as equal: k / fps and a stream's rational times
// rarely agree to the last bit.
constexpr double kEps = 1e-6;
// How many video packets the first frame may take: enough for any decoder's delay and a stream
// that starts a few seconds before its first key frame, bounded for a damaged file.
constexpr int kFirstFramePackets = 1000;

const char* const kVideoFix =
    "give a video file (MP4, MOV, MKV, WebM, ...) or an image (PNG, JPEG) that a player can show";
const char* const kDamagedFix =
    "the file may be damaged or cut short; play it to check, or re-encode it (e.g. to H.264 MP4)";
const char* const kNotMediaFix =
    "give a video file (MP4, MOV, MKV, WebM, ...) or an image (PNG, JPEG); if it is one, it is "
    "damaged or cut short: play it to check, or re-encode it (e.g. to H.264 MP4)";
const char* const kDamagedImageFix =
    "the image may be damaged or cut short: open it to check, or save it again as PNG or JPEG";

// s with 3 decimals and a dot whatever the locale, e.g. "10.720 s".
std::string seconds_text(double s) {
  std::ostringstream text;
  text.imbue(std::locale::classic());
  text.precision(3);
  text << std::fixed << s << " s";
  return text.str();
}

// A frame's duration in its stream's time base, 0 when unknown (AVFrame::duration from FFmpeg 6).
int64_t frame_duration(const AVFrame* frame) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 30, 100)
  return frame->duration;
#else
  return frame->pkt_duration;
#endif
}

// Missing, a folder, or not readable: the problems the OS reports, before any decoder is asked.
void check_readable(const std::string& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status))
    throw Error(path, "file not found", "check the path; it must name an existing file");
  if (fs::is_directory(status))
    throw Error(path, "is a folder, not a video file", "give the path of a video file or an image");
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file)
    throw Error(path, std::string("cannot be read (") + std::strerror(errno) + ")",
                "check the file's permissions (e.g. chmod +r) or copy it somewhere readable");
  std::fclose(file);
}

// The image format named by the file's first bytes, for VideoInfo::codec.
std::string image_format_name(const std::string& path) {
  unsigned char head[12] = {};
  if (std::FILE* file = std::fopen(path.c_str(), "rb")) {
    size_t n = std::fread(head, 1, sizeof head, file);
    std::fclose(file);
    if (n >= 8 && std::memcmp(head, "\x89PNG\r\n\x1a\n", 8) == 0) return "png";
    if (n >= 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff) return "jpeg";
    if (n >= 12 && std::memcmp(head, "RIFF", 4) == 0 && std::memcmp(head + 8, "WEBP", 4) == 0)
      return "webp";
    if (n >= 2 && head[0] == 'B' && head[1] == 'M') return "bmp";
    if (n >= 4 && (std::memcmp(head, "II*\0", 4) == 0 || std::memcmp(head, "MM\0*", 4) == 0))
      return "tiff";
  }
  return "image";
}

// The clockwise turn (0, 90, 180, 270) that shows the stream upright, from its display matrix:
// FFmpeg's autorotation (fftools/cmdutils.c get_rotation, fftools/ffmpeg_filter.c
// configure_input_video_filter), snapped to the nearest quarter turn. Mirroring is not applied.
int rotation_of(const AVStream* stream) {
  const uint8_t* matrix = nullptr;
#if LIBAVFORMAT_VERSION_INT >= AV_VERSION_INT(60, 15, 100)
  const AVPacketSideData* side =
      av_packet_side_data_get(stream->codecpar->coded_side_data,
                              stream->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
  if (side && side->size >= 9 * sizeof(int32_t)) matrix = side->data;
#else
  size_t size = 0;
  matrix = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
  if (size < 9 * sizeof(int32_t)) matrix = nullptr;
#endif
  if (!matrix) return 0;
  // FFmpeg's angle, e.g. -90 for the portrait matrix of phones (a b c d = 0 1 -1 0), which
  // players turn 90 degrees clockwise; NaN for a degenerate matrix.
  const double ccw = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
  if (!std::isfinite(ccw)) return 0;
  const long quarters = std::lround(-ccw / 90.0);
  return static_cast<int>(((quarters % 4) + 4) % 4) * 90;
}

}  // namespace

struct VideoReader::Impl {
  // One decoded source frame and where it lies on the source's timeline (seconds, first frame 0).
  struct SourceFrame {
    FramePtr frame{av_frame_alloc()};
    double time = 0, duration = 0;
    bool valid = false;
  };

  std::string path;
  VideoReadOptions options;
  VideoInfo info;
  int64_t max_frames = 0;  // 0: no limit
  int64_t emitted = 0;

  // The still image, or the FFmpeg side.
  Image still;
  bool still_given = false;

  InputContextPtr input;
  CodecContextPtr decoder;
  PacketPtr packet{av_packet_alloc()};
  AVStream* stream = nullptr;
  int stream_index = -1;
  int64_t start_pts = AV_NOPTS_VALUE;  // the stream's time 0, in its time base
  double fallback_duration = 0;        // of a frame whose duration is unknown, seconds
  double last_time = -1e300;
  int64_t packets_sent = 0;
  bool input_done = false, decoder_done = false;

  SourceFrame current, pending;  // shown now; the next one decoded
  bool current_converted = false;
  Image current_bgr;
  int coded_width = 0, coded_height = 0;  // the first frame's size, before the rotation
  SwsPtr sws;
  std::vector<uint8_t> converted;  // BGR before the rotation, rows converted_stride bytes apart
  int converted_stride = 0;

  void open_still();
  void open_video();
  bool decode_next(SourceFrame& out);
  bool advance_to(double t);
  void convert_current();
};

void VideoReader::Impl::open_still() {
  cv::Mat mat;
  try {
    mat = cv::imread(path, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw Error(path, "not a readable image (" + e.msg + ")", kDamagedImageFix);
  }
  if (mat.empty() || mat.type() != CV_8UC3)
    throw Error(path, "not a readable image (damaged or truncated)", kDamagedImageFix);
  still.width = mat.cols;
  still.height = mat.rows;
  still.channels = 3;
  const size_t row = static_cast<size_t>(mat.cols) * 3;
  still.pixels.resize(row * mat.rows);
  for (int y = 0; y < mat.rows; ++y) std::memcpy(still.pixels.data() + row * y, mat.ptr(y), row);
  info.width = mat.cols;
  info.height = mat.rows;
  info.codec = image_format_name(path);
  info.still_image = true;
}

void VideoReader::Impl::open_video() {
  AVFormatContext* raw = nullptr;
  int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (rc < 0)
    throw Error(path, "not a media file FFmpeg can read, or damaged (" + av_error_text(rc) + ")",
                kNotMediaFix);
  input.reset(raw);
  // FFmpeg's tty demuxer shows any text file as ANSI art: never a source video.
  if (std::strcmp(raw->iformat->name, "tty") == 0)
    throw Error(path, "is a text file, not a video", kVideoFix);
  rc = avformat_find_stream_info(raw, nullptr);
  if (rc < 0) throw Error(path, "cannot read its streams (" + av_error_text(rc) + ")", kDamagedFix);

  const AVCodec* codec = nullptr;
  rc = av_find_best_stream(raw, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (rc == AVERROR_DECODER_NOT_FOUND) {
    int any = av_find_best_stream(raw, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    auto id = any >= 0 ? raw->streams[any]->codecpar->codec_id : AV_CODEC_ID_NONE;
    throw Error(path,
                std::string("no decoder available for its video codec ") + avcodec_get_name(id),
                "re-encode the video to H.264 MP4, or use an FFmpeg build with that decoder");
  }
  if (rc < 0) throw Error(path, "has no video stream", "give a video file or an image");
  stream_index = rc;
  stream = raw->streams[stream_index];
  // Only the chosen stream's packets are wanted; the demuxer drops the others early.
  for (unsigned i = 0; i < raw->nb_streams; ++i)
    if (static_cast<int>(i) != stream_index) raw->streams[i]->discard = AVDISCARD_ALL;

  decoder.reset(avcodec_alloc_context3(codec));
  rc = avcodec_parameters_to_context(decoder.get(), stream->codecpar);
  if (rc >= 0) {
    decoder->thread_count = 0;  // as many as the machine has
    decoder->pkt_timebase = stream->time_base;
    rc = avcodec_open2(decoder.get(), codec, nullptr);
  }
  if (rc < 0)
    throw Error(path,
                "cannot open the " + std::string(codec->name) + " video decoder (" +
                    av_error_text(rc) + ")",
                kDamagedFix);

  info.codec = avcodec_get_name(stream->codecpar->codec_id);
  info.rotation_degrees = rotation_of(stream);
  const AVRational avg = stream->avg_frame_rate, real = stream->r_frame_rate;
  if (avg.num > 0 && avg.den > 0)
    info.source_fps = av_q2d(avg);
  else if (real.num > 0 && real.den > 0)
    info.source_fps = av_q2d(real);
  if (avg.num > 0 && avg.den > 0 && real.num > 0 && real.den > 0)
    info.variable_frame_rate = std::fabs(av_q2d(real) - av_q2d(avg)) > 0.01 * av_q2d(avg);
  if (stream->duration > 0 && stream->duration != AV_NOPTS_VALUE)
    info.duration_s = static_cast<double>(stream->duration) * av_q2d(stream->time_base);
  else if (raw->duration > 0 && raw->duration != AV_NOPTS_VALUE)
    info.duration_s = static_cast<double>(raw->duration) / AV_TIME_BASE;
  fallback_duration = info.source_fps > 0 ? 1.0 / info.source_fps : 1.0 / options.fps;
  if (stream->start_time != AV_NOPTS_VALUE) start_pts = stream->start_time;

  // The probe proper: the first frame must decode.
  if (!decode_next(pending)) {
    if (packets_sent == 0)
      throw Error(path, "has a video stream but no frames in it",
                  "give a video that plays, with at least one frame");
    throw Error(path,
                "its " + info.codec + " video cannot be decoded: no frame in the first " +
                    std::to_string(packets_sent) + " packets (corrupt data)",
                kDamagedFix);
  }
  coded_width = pending.frame->width;
  coded_height = pending.frame->height;
  const bool turned = info.rotation_degrees == 90 || info.rotation_degrees == 270;
  info.width = turned ? coded_height : coded_width;
  info.height = turned ? coded_width : coded_height;

  if (options.start_s > 0) {
    if (info.duration_s > 0 && options.start_s >= info.duration_s - kEps)
      throw Error(path,
                  "start " + seconds_text(options.start_s) + " is at or beyond the end of the " +
                      seconds_text(info.duration_s) + " video",
                  "give a start time before the end of the video");
    // Seek to the key frame at or before the start; without an index the frames before it are
    // decoded and dropped instead.
    const int64_t target =
        (start_pts == AV_NOPTS_VALUE ? 0 : start_pts) +
        static_cast<int64_t>(std::floor(options.start_s / av_q2d(stream->time_base)));
    if (av_seek_frame(raw, stream_index, target, AVSEEK_FLAG_BACKWARD) >= 0) {
      avcodec_flush_buffers(decoder.get());
      input_done = decoder_done = false;
      last_time = -1e300;
      if (!decode_next(pending))
        throw Error(path, "no frame at or after the start " + seconds_text(options.start_s),
                    "give a start time before the end of the video");
    }
  }
  if (!advance_to(options.start_s))
    throw Error(path,
                "start " + seconds_text(options.start_s) + " is at or beyond the end of the video",
                "give a start time before the end of the video");
}

bool VideoReader::Impl::decode_next(SourceFrame& out) {
  out.valid = false;
  AVFrame* frame = out.frame.get();
  while (!decoder_done) {
    int rc = avcodec_receive_frame(decoder.get(), frame);
    if (rc >= 0) {
      int64_t pts = frame->best_effort_timestamp;
      double time;
      if (pts == AV_NOPTS_VALUE) {
        time = last_time > -1e299 ? last_time + fallback_duration : 0;
      } else {
        if (start_pts == AV_NOPTS_VALUE) start_pts = pts;
        time = static_cast<double>(pts - start_pts) * av_q2d(stream->time_base);
      }
      // A timestamp going backwards (a damaged file) keeps the frame order instead.
      if (time < last_time) time = last_time;
      last_time = time;
      out.time = time;
      const int64_t duration = frame_duration(frame);
      out.duration = duration > 0 ? static_cast<double>(duration) * av_q2d(stream->time_base)
                                  : fallback_duration;
      out.valid = true;
      return true;
    }
    if (rc == AVERROR_EOF) {
      decoder_done = true;
      break;
    }
    if (rc == AVERROR_INVALIDDATA) continue;  // a damaged frame is skipped, as players do
    if (rc != AVERROR(EAGAIN))
      throw Error(path, "video decoding failed (" + av_error_text(rc) + ")", kDamagedFix);
    if (input_done) {
      decoder_done = true;  // drained without EOF: nothing more will come
      break;
    }
    rc = av_read_frame(input.get(), packet.get());
    if (rc < 0) {
      input_done = true;
      avcodec_send_packet(decoder.get(), nullptr);
      continue;
    }
    if (packet->stream_index == stream_index) {
      if (!current.valid && packets_sent >= kFirstFramePackets) {
        av_packet_unref(packet.get());
        break;  // the probe gives up on a stream that yields nothing
      }
      ++packets_sent;
      rc = avcodec_send_packet(decoder.get(), packet.get());
      // A damaged packet is skipped, as players do; anything else is fatal.
      if (rc < 0 && rc != AVERROR_INVALIDDATA && rc != AVERROR(EAGAIN)) {
        av_packet_unref(packet.get());
        throw Error(path, "video decoding failed (" + av_error_text(rc) + ")", kDamagedFix);
      }
    }
    av_packet_unref(packet.get());
  }
  return false;
}

bool VideoReader::Impl::advance_to(double t) {
  while (pending.valid && (!current.valid || pending.time <= t + kEps)) {
    std::swap(current, pending);
    current_converted = false;
    decode_next(pending);
  }
  return pending.valid || t < current.time + current.duration - kEps;
}

void VideoReader::Impl::convert_current() {
  const AVFrame* frame = current.frame.get();
  // Any later change of size or format is scaled back to the first frame's size.
  sws.reset(sws_getCachedContext(
      sws.release(), frame->width, frame->height, static_cast<AVPixelFormat>(frame->format),
      coded_width, coded_height, AV_PIX_FMT_BGR24, SWS_BICUBIC, nullptr, nullptr, nullptr));
  if (!sws)
    throw Error(path,
                std::string("cannot convert its ") +
                    (av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame->format))
                         ? av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame->format))
                         : "unknown") +
                    " pixels to BGR",
                "re-encode the video to H.264 MP4 (yuv420p)");
  if (converted.empty()) {
    converted_stride = FFALIGN(coded_width * 3, 64);  // aligned rows for swscale's SIMD
    converted.resize(static_cast<size_t>(converted_stride) * coded_height);
  }
  uint8_t* planes[4] = {converted.data(), nullptr, nullptr, nullptr};
  int strides[4] = {converted_stride, 0, 0, 0};
  sws_scale(sws.get(), frame->data, frame->linesize, 0, frame->height, planes, strides);

  const cv::Mat coded(coded_height, coded_width, CV_8UC3, converted.data(),
                      static_cast<size_t>(converted_stride));
  current_bgr.width = info.width;
  current_bgr.height = info.height;
  current_bgr.channels = 3;
  current_bgr.pixels.resize(static_cast<size_t>(info.width) * info.height * 3);
  cv::Mat upright(info.height, info.width, CV_8UC3, current_bgr.pixels.data());
  switch (info.rotation_degrees) {
    case 90:
      cv::rotate(coded, upright, cv::ROTATE_90_CLOCKWISE);
      break;
    case 180:
      cv::rotate(coded, upright, cv::ROTATE_180);
      break;
    case 270:
      cv::rotate(coded, upright, cv::ROTATE_90_COUNTERCLOCKWISE);
      break;
    default:
      coded.copyTo(upright);
  }
  current_converted = true;
}

VideoReader::VideoReader(const std::string& path, const VideoReadOptions& options)
    : impl_(std::make_unique<Impl>()) {
  Impl& r = *impl_;
  r.path = path;
  r.options = options;
  if (!(options.fps > 0) || !std::isfinite(options.fps))
    throw Error(path, "output frame rate is not a positive number of frames per second",
                "give a frame rate such as 25");
  if (!(options.start_s >= 0) || !std::isfinite(options.start_s))
    throw Error(path, "start " + seconds_text(options.start_s) + " is negative",
                "give a start time of 0 or more seconds");
  if (!(options.duration_s >= 0) || !std::isfinite(options.duration_s))
    throw Error(path, "duration " + seconds_text(options.duration_s) + " is negative",
                "give a duration of 0 (to the end) or more seconds");
  if (options.duration_s > 0)
    r.max_frames = std::max<int64_t>(
        1, static_cast<int64_t>(std::ceil(options.duration_s * options.fps - kEps)));
  check_readable(path);
  bool image = false;
  try {
    image = cv::haveImageReader(path);
  } catch (const cv::Exception&) {
  }
  if (image)
    r.open_still();
  else
    r.open_video();
}

VideoReader::~VideoReader() = default;

const VideoInfo& VideoReader::info() const {
  return impl_->info;
}

const std::string& VideoReader::path() const {
  return impl_->path;
}

int64_t VideoReader::frames_read() const {
  return impl_->emitted;
}

bool VideoReader::next(Image& bgr, double& time_s) {
  Impl& r = *impl_;
  if (r.info.still_image) {
    if (r.still_given) return false;
    bgr = r.still;
    time_s = 0;
    r.still_given = true;
    ++r.emitted;
    return true;
  }
  if (r.max_frames > 0 && r.emitted >= r.max_frames) return false;
  const double t = r.options.start_s + static_cast<double>(r.emitted) / r.options.fps;
  if (!r.advance_to(t)) {
    if (r.emitted == 0)
      throw Error(
          r.path,
          "start " + seconds_text(r.options.start_s) + " is at or beyond the end of the video",
          "give a start time before the end of the video");
    return false;
  }
  if (!r.current_converted) r.convert_current();
  bgr = r.current_bgr;
  time_s = t;
  ++r.emitted;
  return true;
}

VideoInfo probe_video(const std::string& path, const VideoReadOptions& options) {
  return VideoReader(path, options).info();
}

}  // namespace musetalk::media
