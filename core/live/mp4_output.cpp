#include "live/mp4_output.h"

#include <utility>
#include <vector>

#include "files/error.h"

namespace musetalk::live {
namespace {

constexpr int64_t kVoiceRate = 16000;  // FrameView::audio's rate

std::string size_text(int width, int height, int fps) {
  return std::to_string(width) + "x" + std::to_string(height) + " at " + std::to_string(fps) +
         " fps";
}

}  // namespace

Mp4Output::Mp4Output(std::string path, int crf) : path_(std::move(path)), crf_(crf) {}

void Mp4Output::write(const stream::FrameView& frame) {
  if (!frame.bgr)
    throw Error(path_, "a frame without pixels was written", "pass the frame's BGR image");
  if (!open_) {
    writer_.open_with_pushed_audio(path_, frame.width, frame.height, frame.fps, crf_);
    width_ = frame.width;
    height_ = frame.height;
    fps_ = frame.fps;
    open_ = true;
  } else if (frame.width != width_ || frame.height != height_ || frame.fps != fps_) {
    throw Error(path_,
                "frame " + std::to_string(frame.index) + " is " +
                    size_text(frame.width, frame.height, frame.fps) + ", the file's frames are " +
                    size_text(width_, height_, fps_),
                "write every frame of one file at the first one's size and rate");
  }
  if (frame.audio_samples < 0)
    throw Error(path_, "frame " + std::to_string(frame.index) + " has a negative sample count",
                "pass the frame's audio_samples");
  if (frame.audio) {
    writer_.write_audio(frame.audio, frame.audio_samples);
    audio_samples_ += frame.audio_samples;
  } else {
    // Silence up to the end of this frame's slot, floor((k + 1) * 16000 / fps) for frame k, so
    // the track keeps the picture's length.
    const int64_t k = writer_.frames_written();
    const int64_t slot_end = (k + 1) * kVoiceRate / fps_;
    if (slot_end > audio_samples_) {
      const std::vector<float> silence(static_cast<size_t>(slot_end - audio_samples_), 0.0f);
      writer_.write_audio(silence.data(), static_cast<int>(silence.size()));
      audio_samples_ = slot_end;
    }
  }
  writer_.write_bgr(frame.bgr, frame.stride > 0 ? frame.stride : frame.width * 3);
}

void Mp4Output::finish() {
  if (!open_)
    throw Error(path_, "no frames were written", "write at least one frame before finishing");
  writer_.finish();
}

}  // namespace musetalk::live
