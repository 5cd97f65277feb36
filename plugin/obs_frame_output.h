#pragma once
// The session's frames into OBS: each frame converted from BGR to BGRA and handed to
// obs_source_output_video, then (when emitting audio) the frame's own voice slice to
// obs_source_output_audio, stamped on the source's private timeline: the frame at base + index /
// fps, starting at 0 and never going back, and its voice at the same time plus half an OBS frame.
// OBS then copies a shown frame's render-time offset onto the audio, so the voice follows the
// lips (obs-studio test/test-input/sync-async-source.c uses 0-based timestamps shared by audio
// and video the same way); raw capture timestamps would put the audio at capture time instead, a
// whole inference latency ahead of the picture. The half frame is an empirical centring: OBS shows
// an async frame on a render tick after its timestamp (libobs/obs-source.c ready_async_frame),
// and with the voice on the frame's own timestamp the picture came 23.6 ms after its voice on
// average in OBS's output, -0.8 ms with the half frame (bench/RESULTS.md, OBS at 30 fps).

#include <atomic>
#include <cstdint>
#include <vector>

#include "stream/stream_frame.h"

struct obs_source;

namespace musetalk::obs_plugin {

class ObsFrameOutput : public stream::FrameOutput {
 public:
  // source: outlives this object. base_ns: the private timestamp of frame index 0. emit_audio:
  // read per frame (the setting may change while streaming). frames: counts the frames output.
  ObsFrameOutput(obs_source* source, int64_t base_ns, const std::atomic<bool>& emit_audio,
                 std::atomic<int64_t>& frames);

  void write(const stream::FrameView& frame) override;

  // The private timestamp the frame after the last one written would have: the next
  // session's base, so the timeline stays monotonic across sessions.
  int64_t next_ns() const { return next_ns_; }

 private:
  obs_source* source_;
  int64_t base_ns_;
  int64_t next_ns_;
  int64_t voice_delay_ns_;  // half of OBS's frame interval, read once per session
  const std::atomic<bool>& emit_audio_;
  std::atomic<int64_t>& frames_;
  std::vector<uint8_t> bgra_;
};

}  // namespace musetalk::obs_plugin
