#pragma once
// The render pipeline's ends on disk that need FFmpeg or OpenCV: the voice decoded from any audio
// or video file as it is needed, and finished frames into an MP4 (and optionally numbered PNGs).
// Output appears only on finish(). The avatar's PNG frames and masks are read in musetalk_core
// (pipeline/png_avatar_images.h).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "media/audio_reader.h"
#include "media/mp4_writer.h"
#include "pipeline/render_pipeline.h"

namespace musetalk::adapters {

// The audio of any file FFmpeg reads, decoded a frame at a time to 16 kHz mono float: the same
// samples as media::decode_audio_16k_mono(), never all held.
class AudioFileSource : public pipeline::AudioSource {
 public:
  // expected_samples: the clip's length when known (media::measure_audio_16k_mono()), else 0 to
  // estimate it from the duration the file states. Throws media::AudioReader's errors naming path.
  explicit AudioFileSource(const std::string& path, int64_t expected_samples = 0);
  // Throws musetalk::Error naming the file when decoding fails.
  size_t read(float* out, size_t max) override;
  int64_t expected_samples() const override { return expected_; }

 private:
  media::AudioReader reader_;
  std::vector<float> decoded_;  // one decoded frame's samples not read yet, from at_
  size_t at_ = 0;
  bool ended_ = false;
  int64_t expected_ = 0;
};

// Where VideoFileSink stages the PNGs of frames_dir until finish(): "<frames_dir>.partial" beside
// it (trailing separators dropped), which must not exist beforehand.
std::string frames_staging_dir(const std::string& frames_dir);

class VideoFileSink : public pipeline::FrameSink {
 public:
  // frames_dir: "" or a folder that must not exist yet; filled via frames_staging_dir(), renamed
  // at finish, removed when the sink goes away unfinished (also when this constructor throws).
  // Throws Error naming frames_dir when it exists, or the staging folder when that exists; and
  // Mp4Writer::open's errors.
  VideoFileSink(const std::string& out_path, int width, int height, int fps, int crf,
                const std::string& audio_source, const std::string& frames_dir);
  ~VideoFileSink() override;
  void write_bgr(const uint8_t* bgr, int width, int height, int stride) override;
  void finish();

 private:
  media::Mp4Writer writer_;
  std::string frames_dir_, frames_partial_;
  int64_t index_ = 0;
  bool finished_ = false;
};

}  // namespace musetalk::adapters
