#pragma once
// What a streaming session hands to its outputs (window, virtual camera, file): one video frame
// and the slice of input voice it belongs to, both carrying the same PTS on the session's clock
// (stream/clock.h). Torch-free, so sinks live in libraries that do not link LibTorch.

#include <cstdint>

namespace musetalk::stream {

enum class FrameKind {
  Speech,  // generated from the voice (possibly cross-faded with the cycle frame)
  Idle,    // the avatar's own cycle frame: the input was silent, the networks did not run
  Filler,  // the cycle frame standing in for a generated frame that was not ready in time
};

const char* frame_kind_name(FrameKind kind);

struct FrameView {
  int64_t index = 0;   // frame number since the stream started: PTS = origin + index / fps
  int64_t pts_ns = 0;  // presentation time on the session's clock
  int fps = 25;
  FrameKind kind = FrameKind::Speech;
  const uint8_t* bgr = nullptr;  // packed BGR24, height rows of stride bytes
  int width = 0, height = 0, stride = 0;
  // The voice of [pts, pts + 1/fps): 16 kHz mono float. The count alternates between
  // floor and ceil of 16000 / fps so that audio and video stay the same length.
  const float* audio = nullptr;
  int audio_samples = 0;
};

// A destination of frames. write() is called from one thread, in PTS order, one frame per
// 1/fps of the timeline (fillers included, so a constant-rate sink never has a gap); finish()
// once after the last frame (flush, close the file). Errors are thrown as musetalk::Error.
class FrameOutput {
 public:
  virtual ~FrameOutput() = default;
  virtual void write(const FrameView& frame) = 0;
  virtual void finish() {}
};

inline const char* frame_kind_name(FrameKind kind) {
  switch (kind) {
    case FrameKind::Speech:
      return "speech";
    case FrameKind::Idle:
      return "idle";
    case FrameKind::Filler:
      return "filler";
  }
  return "?";
}

}  // namespace musetalk::stream
