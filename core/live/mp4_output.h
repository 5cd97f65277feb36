#pragma once
// A live stream recorded to an MP4 file: the session's frames as H.264 and the voice each frame
// carries (stream::FrameView::audio, the input slice of the frame's time slot) as AAC. Both
// tracks advance frame by frame from the same FrameView, so picture and voice stay in sync by
// construction, whatever the input's timing was. Like media::Mp4Writer, the file appears only
// when finish() succeeds (PATH.partial until then); an output destroyed unfinished leaves none.
// Torch-free (musetalk_live).

#include <cstdint>
#include <string>

#include "media/mp4_writer.h"
#include "stream/stream_frame.h"

namespace musetalk::live {

class Mp4Output : public stream::FrameOutput {
 public:
  // path: the MP4 to write, in an existing folder; crf: x264 quality (0 lossless .. 51).
  // Nothing is created before the first frame.
  explicit Mp4Output(std::string path, int crf = 18);

  // The first frame fixes the size and frame rate (an odd side is encoded one pixel larger, as
  // media::Mp4Writer does); later frames must match them. A stride of 0 means packed rows. A frame
  // without audio (null audio) stands for silence of its slot's length, so the voice never drifts
  // from the picture. Throws musetalk::Error naming the path when a frame differs or the file
  // cannot be written.
  void write(const stream::FrameView& frame) override;
  // Flushes both encoders and moves the file into place. Throws musetalk::Error naming the path
  // when no frame was written or the file cannot be finished.
  void finish() override;

  const std::string& path() const { return path_; }
  int64_t frames_written() const { return writer_.frames_written(); }
  // 16 kHz samples written so far (silence standing for missing audio included).
  int64_t audio_samples_written() const { return audio_samples_; }

 private:
  std::string path_;
  int crf_;
  media::Mp4Writer writer_;
  bool open_ = false;
  int width_ = 0, height_ = 0, fps_ = 0;
  int64_t audio_samples_ = 0;
};

}  // namespace musetalk::live
