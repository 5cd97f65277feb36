#pragma once
// The render pipeline's ends on disk: the avatar's PNG frames and masks as device tensors, and
// finished frames into an MP4 (and optionally numbered PNGs). Output appears only on finish().

#include <memory>
#include <string>

#include "avatar/avatar.h"
#include "media/mp4_writer.h"
#include "pipeline/render_pipeline.h"

namespace musetalk::adapters {

class PngAvatarImages : public pipeline::AvatarImages {
 public:
  PngAvatarImages(const avatar::Avatar& avatar, torch::Device device);
  torch::Tensor frame(int j) override;
  torch::Tensor mask(int j) override;

 private:
  const avatar::Avatar& avatar_;
  torch::Device device_;
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
