#pragma once
// What the streaming tests share: the repository's sample avatar with latents from the tiny
// model set's VAE, the sample voice at 16 kHz, an output that records what it is given, and a
// feeder that pushes audio at real-time pace on a clock.

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "avatar/avatar.h"
#include "model/model_set.h"
#include "stream/clock.h"
#include "stream/session_avatar.h"
#include "stream/stream_frame.h"
#include "stream/stream_session.h"

namespace musetalk::test {

struct SampleAvatar {
  avatar::Avatar avatar;
  torch::Tensor latents;  // (2N, 8, 32, 32) from the tiny VAE
  std::shared_ptr<const stream::SessionAvatar> session;
};

// The tiny model set written to a temporary models folder once per test program (for the CLI).
std::string tiny_models_dir();

// Loaded once per test program.
const SampleAvatar& sample_avatar();
// data/sample/voice.wav at 16 kHz mono (3.2 s).
const std::vector<float>& sample_voice();

struct RecordedFrame {
  int64_t index = 0, pts_ns = 0, written_at_ns = 0;
  stream::FrameKind kind = stream::FrameKind::Idle;
  torch::Tensor bgr;  // kept only when the output keeps images
  std::vector<float> audio;
};

class RecordingOutput : public stream::FrameOutput {
 public:
  RecordingOutput(const stream::Clock& clock, bool keep_images)
      : clock_(clock), keep_images_(keep_images) {}
  void write(const stream::FrameView& frame) override;
  void finish() override { finished = true; }
  std::vector<RecordedFrame> frames;
  bool finished = false;

 private:
  const stream::Clock& clock_;
  bool keep_images_;
};

// Pushes samples in 20 ms chunks, each once the clock reaches its capture time (the first at
// start_ns), then ends the input. Runs on the calling thread.
void feed_in_real_time(stream::StreamSession& session, const stream::Clock& clock,
                       const std::vector<float>& samples, int64_t start_ns);

// The frames render() makes of the same audio with the same avatar and models, batch frames per
// UNet call.
std::vector<torch::Tensor> render_frames(ModelSet& models, const SampleAvatar& avatar,
                                         const std::vector<float>& samples, int fps, int batch);

}  // namespace musetalk::test
