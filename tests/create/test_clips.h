#pragma once
// Source videos the avatar creation tests make with libavformat/libavcodec (there is no ffmpeg
// program on the test machines): any timestamps, a display matrix (phone rotation), odd sizes,
// and a video stream without frames.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

extern "C" {
#include <libavutil/pixfmt.h>
#include <libavutil/rational.h>
}

namespace musetalk::test {

struct ClipSpec {
  int width = 64, height = 48;  // coded size
  // One timestamp per frame, in time_base units, increasing.
  std::vector<int64_t> pts;
  AVRational time_base{1, 100};
  int64_t last_duration = 4;  // of the last frame, time_base units
  // Clockwise turn a player applies (0, 90, 180, 270: the "rotate" tag of phone videos), stored
  // as the track's display matrix.
  int rotate_cw = 0;
  int gop = 250;                    // key frame interval, frames
  std::string container = "mp4";    // FFmpeg muxer name
  std::string encoder = "libx264";  // FFmpeg encoder name
  AVPixelFormat pix_fmt = AV_PIX_FMT_YUV420P;
  // Paints frame index into packed BGR of width x height (the coded size).
  std::function<void(int index, std::vector<uint8_t>& bgr)> paint;
};

// Writes the clip (lossless: x264 qp 0, or the lossless encoder named); throws std::runtime_error.
void write_clip(const std::string& path, const ClipSpec& spec);

// An MP4 with one H.264 video stream and no packets in it.
void write_clip_without_frames(const std::string& path);

// pts 0, 1, 2, ... count - 1 at fps frames per second (time base 1/fps).
ClipSpec constant_rate_clip(int count, int fps);

// A uniform grey frame whose level encodes index (8 * index + 4, for index < 32), so the frame
// a reader returns can be told by index_of_level().
void paint_index(int index, std::vector<uint8_t>& bgr);
int index_of_level(int level);

}  // namespace musetalk::test
