#pragma once
// Reads the source video of avatar creation: any container and codec FFmpeg reads, or one still
// image OpenCV reads, as upright packed BGR frames resampled on their timestamps to a fixed output
// rate, one frame at a time (memory does not grow with the file). Upstream reads every frame with
// cv2.VideoCapture (MuseTalk scripts/realtime_inference.py, video2imgs) or `ffmpeg -i video
// %08d.png` (scripts/inference.py) and recommends 25 fps input; here the frames are put on a
// 25 fps grid whatever the source rate.

#include <cstdint>
#include <memory>
#include <string>

#include "media/image_io.h"

namespace musetalk::media {

struct VideoInfo {
  int width = 0, height = 0;         // of the output frames, after the rotation
  double source_fps = 0;             // the stream's average frame rate; 0 for a still or unknown
  int rotation_degrees = 0;          // 0, 90, 180, 270: clockwise turn applied to show it upright
  bool variable_frame_rate = false;  // heuristic: the stream's real base rate differs from its
                                     // average rate (FFmpeg r_frame_rate vs avg_frame_rate)
  double duration_s = 0;             // as the file states it; 0 for a still or unknown
  std::string codec;                 // FFmpeg's codec name ("h264"), or the image format ("png")
  bool still_image = false;          // a single picture: exactly one frame
};

struct VideoReadOptions {
  // Output rate, frames per second (> 0). Output frame k is at t = start_s + k / fps and shows the
  // latest source frame whose timestamp is <= t (the first source frame before any), so source
  // frames are repeated or dropped as needed. The output ends where the last source frame's
  // duration ends.
  double fps = 25;
  double start_s = 0;     // where to start, seconds on the source's timeline (first frame at 0)
  double duration_s = 0;  // how much to read, seconds; 0: to the end
};

// Streams the frames of one video or still image. A file is taken as a still image when OpenCV
// recognises its content as an image format (PNG, JPEG, BMP, WebP, TIFF, ...; by signature, not
// by extension; the JPEG EXIF orientation is applied as cv::imread does); anything else goes to
// FFmpeg. A still gives exactly one frame at time 0; start_s and duration_s do not apply to it.
class VideoReader {
 public:
  // Opens path and decodes its first frame (at start_s), so a reader that constructs will read.
  // Throws musetalk::Error naming path when the file is missing, unreadable, not media, has no
  // video stream, no frames or an undecodable one, when options are out of range, or start_s is
  // at or beyond the end.
  explicit VideoReader(const std::string& path, const VideoReadOptions& options = {});
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  const VideoInfo& info() const;
  const std::string& path() const;

  // The next output frame: bgr becomes info().width x info().height, channels 3, packed (its
  // buffer is reused when the size matches); time_s its time, start_s + k / fps (0 for a still).
  // Returns false after the last one. Throws musetalk::Error naming the file when decoding fails
  // midway, or when no frame lies at or after start_s.
  bool next(Image& bgr, double& time_s);

  // Output frames returned so far.
  int64_t frames_read() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Checks path up front, before any model loads: opens it as VideoReader does and decodes the
// frame at options.start_s. Returns what it found; throws musetalk::Error naming the file, the
// problem and the fix (see VideoReader).
VideoInfo probe_video(const std::string& path, const VideoReadOptions& options = {});

}  // namespace musetalk::media
