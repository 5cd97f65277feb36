#pragma once
// A live lip-sync session: timestamped voice in, a constant-rate stream of avatar frames out, each
// frame carrying the slice of voice it belongs to under the same PTS.
//
//   push_audio (any thread, never blocks) -> AudioRing -> generator thread: per hop of `batch`
//   frames, voice activity; when speaking, sliding Whisper features + UNet + VAE + compositing
//   (stream/sliding_features.h, model/face_generator.h) -> ready frames -> run(): the presenter on
//   the caller's thread hands frame f to the output at PTS(f) + latency, where PTS(f) = origin +
//   f / fps on the input's clock.
//
// Silence shows the avatar's own cycle frames without running the networks; speech fades in and
// out over a few frames at the same cycle position. A hop that cannot be ready by its
// presentation time is skipped (counted) and its frames shown as cycle frames, so latency never
// grows. The models are only read: several sessions may share one ModelSet. LibTorch and the
// standard library only.

#include <torch/torch.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "model/model_set.h"
#include "stream/audio_ring.h"
#include "stream/clock.h"
#include "stream/session_avatar.h"
#include "stream/sliding_features.h"
#include "stream/stream_frame.h"
#include "stream/voice_activity.h"

namespace musetalk::stream {

struct StreamSettings {
  SlidingFeatureSettings features;  // fps, lookahead, left context
  int batch = 4;                    // frames per hop: one Whisper, UNet and VAE call
  // Presentation delay: frame f is output at PTS(f) + latency. 0: lookahead + the hop's span +
  // twice a warm-up hop's compute time, measured when run() starts. A fixed one must cover at
  // least the lookahead, the hop's span and one 20 ms input chunk (Error otherwise).
  int latency_ms = 0;
  // false: nothing is dropped and nothing waits for the clock; every frame is generated and
  // output as soon as it is ready (offline use, tests, benchmarks of quality).
  bool realtime = true;
  bool idle = true;  // silence shows cycle frames without running the networks
  VoiceActivitySettings voice;
  int crossfade_frames = 4;     // speech fades in and out over this many frames
  int input_buffer_ms = 40000;  // the input ring; grown to hold latency + left context
  int ready_hops = 4;           // generated hops held ahead of presentation
  // Called on the generator thread before each hop runs the networks (tests slow it down).
  std::function<void(int64_t first_frame)> before_hop;
  // Called on the generator thread after each generated hop with its compute time (benchmarks).
  std::function<void(int64_t first_frame, double hop_ms)> after_hop;
};

struct StreamStats {
  int64_t frames = 0;                        // output so far
  int64_t speech = 0, idle = 0, filler = 0;  // of which, by kind
  int64_t hops = 0, hops_skipped = 0;        // hops generated / skipped for being late
  int64_t audio_dropped = 0;                 // input samples lost to a full ring
  double latency_ms = 0;                     // the presentation delay in effect
  double hop_ms = 0;                         // mean compute time of a generated hop
  double features_ms = 0, networks_ms = 0, compositing_ms = 0;  // its parts (means)
  double output_ms = 0;                                         // mean time of one output write
  bool speaking = false;
};

class StreamSession {
 public:
  // Throws Error for settings that cannot work (stream/sliding_features.h, batch, buffer).
  StreamSession(ModelSet& models, std::shared_ptr<const SessionAvatar> avatar,
                const StreamSettings& settings, const Clock& clock);
  ~StreamSession();
  StreamSession(const StreamSession&) = delete;
  StreamSession& operator=(const StreamSession&) = delete;

  // 16 kHz mono float samples, the first captured at pts_ns on the session's clock. Any thread;
  // never waits (a full ring drops its oldest audio, counted in stats().audio_dropped).
  void push_audio(int64_t pts_ns, const float* samples, size_t count);
  // No more audio: run() returns after the last frame of what was pushed.
  void end_of_input();
  // Frames from the next hop on use this avatar; the cycle position carries on.
  void set_avatar(std::shared_ptr<const SessionAvatar> avatar);

  // Fixes the presentation delay (StreamSettings::latency_ms, or measured with one warm-up hop)
  // and returns it in ns; run() does this itself when it was not called. Call it before starting
  // a voice output that must be delayed by the same amount.
  int64_t warm_up();

  // Runs the session on the calling thread until the input has ended and its last frame was
  // output, or *cancel turns true; then output.finish() (not when the generator failed, nor when
  // no frame was output). on_stats is called about every half
  // second of the timeline. Every thread is joined before it returns; the first error of the
  // generator or the output is rethrown then.
  StreamStats run(FrameOutput& output, const std::atomic<bool>* cancel = nullptr,
                  const std::function<void(const StreamStats&)>& on_stats = {});

  StreamStats stats() const;
  // PTS of frame f (valid once the first audio arrived).
  int64_t frame_pts_ns(int64_t f) const;

 private:
  struct Ready {
    FrameKind kind = FrameKind::Idle;
    torch::Tensor bgr;  // (H, W, 3) uint8 on the CPU; undefined for idle frames
    std::shared_ptr<const SessionAvatar> avatar;
  };

  void generate();  // the generator thread
  std::vector<double> speech_weights(int64_t first, int64_t count, int64_t end_samples);
  // Generates (or, where every weight is 0, shows idle) frames [first, first + weights.size()).
  bool generate_hop(int64_t first, const std::vector<double>& weights, int64_t end_samples);
  std::shared_ptr<const SessionAvatar> current_avatar() const;
  int least_latency_ms() const;
  void fit_to_latency();
  int64_t frame_sample(int64_t f) const;  // first timeline sample of frame f
  bool stopping() const;

  ModelSet& models_;
  StreamSettings settings_;
  const Clock& clock_;
  AudioRing ring_;
  SlidingFeatures features_;
  VoiceActivity voice_;
  double speech_weight_ = 0;  // crossfade position, generator thread only
  int64_t latency_ns_ = 0;    // 0 until warm_up()
  size_t ready_limit_ = 0;    // generated frames held ahead of presentation, set by warm_up()

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable changed_;
  std::shared_ptr<const SessionAvatar> avatar_;
  std::map<int64_t, Ready> ready_;
  int64_t generated_until_ = 0;  // frames below this were generated or skipped
  bool generator_done_ = false;
  bool stop_ = false;
  std::exception_ptr error_;
  StreamStats stats_;
  double hop_total_ms_ = 0, features_total_ms_ = 0, networks_total_ms_ = 0,
         compositing_total_ms_ = 0, output_total_ms_ = 0;
  std::thread generator_;
};

}  // namespace musetalk::stream
