#pragma once
// The live stream's microphone: captures from a PortAudio input device at its own rate and
// channel count, and delivers 16 kHz mono chunks stamped with their capture time on
// steady_clock (live/audio_chunk.h), ready for the session's push_audio(). Torch-free.
//
// PortAudio's callback only copies into a preallocated ring (it neither blocks nor allocates);
// a worker thread downmixes, resamples with libswresample and calls the chunk callback. A chunk's
// time is PortAudio's inputBufferAdcTime of its first sample mapped onto steady_clock
// (live/audio_stream_time.h); libswresample's timestamp compensation (swr_next_pts) keeps the
// 16 kHz timeline contiguous while following the device clock's drift and the jitter of those
// times, and fills a lost stretch (ring slots dropped, a device overflow) with silence, so the
// timeline never jumps. A hole longer than a second starts a new timeline instead.

#include <cstdint>
#include <memory>
#include <string>

#include "live/audio_chunk.h"
#include "live/audio_devices.h"

namespace musetalk::live {

struct MicInputOptions {
  // "default", a device index or an exact device name (PortAudioSession::find). With PulseAudio
  // or PipeWire behind ALSA's "pulse"/"default" device, PULSE_SOURCE picks the source.
  std::string device = "default";
  // PortAudio's suggested input latency, in seconds.
  double latency_s = 0.02;
  // How much capture the ring between the callback and the worker holds, in seconds; when the
  // worker falls further behind, the oldest capture is dropped (and counted).
  double buffer_s = 2.0;
};

class MicInput {
 public:
  struct Stats {
    int64_t captured_frames = 0;    // device frames the callback stored
    int64_t dropped_frames = 0;     // device frames lost because the worker fell behind
    int64_t overflows = 0;          // callbacks PortAudio flagged with an input overflow
    int64_t samples_delivered = 0;  // 16 kHz samples passed to the chunk callback
    int64_t chunks_delivered = 0;
  };

  // Opens the device at its default sample rate with at most two channels; nothing is captured
  // before start(). Throws musetalk::Error naming the device when there is no input device
  // (PortAudioSession::find), or PortAudio or the resampler cannot be set up for it.
  MicInput(MicInputOptions options, AudioChunkCallback on_chunk);
  ~MicInput();  // stops; never throws
  MicInput(const MicInput&) = delete;
  MicInput& operator=(const MicInput&) = delete;

  // Starts capturing; the chunk callback then runs on the worker thread. Throws musetalk::Error
  // when the device does not start. Start after stop begins a new timeline.
  void start();
  // Stops the device, delivers what was captured (the resampler flushed), joins the worker;
  // then rethrows the first exception the chunk callback threw, if any (capture stopped there).
  // Safe to call more than once.
  void stop();

  // Whether the device is capturing: false before start(), after stop(), and once the device
  // stopped on its own (the sound server went away).
  bool active() const;

  const AudioDevice& device() const;
  int device_rate() const;      // Hz, the rate captured at
  int device_channels() const;  // 1 or 2, downmixed by averaging
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace musetalk::live
