#pragma once
// The live stream's voice output: plays the input voice again, delayed by a set time D, so that
// it leaves the speaker (or the virtual microphone a call app listens to) in step with the
// avatar's lips, which the session shows D after the voice was captured. Torch-free.
//
// write() takes the voice on its capture timeline (16 kHz mono, pts on steady_clock, as
// MicInput and FileAudioInput deliver it) and never waits for the device: it converts to the
// device's rate with libswresample at once and stores each sample in a bounded timeline buffer
// at its own position. PortAudio's output callback maps its outputBufferDacTime onto
// steady_clock (live/audio_stream_time.h) and plays the samples whose pts + D is that time,
// silence where there are none; so the voice leaves exactly D after its capture whatever the
// output's own buffering, and a changed D takes effect at the next callback. The callback never
// locks nor allocates.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "live/audio_devices.h"

namespace musetalk::live {

struct VoiceOutputOptions {
  // "default", a device index or an exact device name (PortAudioSession::find). With PulseAudio
  // or PipeWire behind ALSA's "pulse"/"default" device, PULSE_SINK picks the sink.
  std::string device = "default";
  // PortAudio's suggested output latency, in seconds. D must exceed the input's latency plus
  // this, or samples arrive after their time (Stats::late_samples). Through ALSA's pulse plugin
  // (PortAudio 19.6) 20 ms often starts with seconds of back-to-back underflows; 50 ms does not.
  double latency_s = 0.05;
  // The longest delay set_delay_ns accepts; the buffer holds this plus a second of voice.
  int64_t max_delay_ns = 5000000000;
};

class VoiceOutput {
 public:
  struct Stats {
    int64_t played_samples = 0;    // device-rate samples the callback produced (voice or not)
    int64_t silent_samples = 0;    // of those, positions that held no voice
    int64_t late_samples = 0;      // written after their time had been played: D is too short
    int64_t overflow_samples = 0;  // written more than the buffer ahead of the play position
    int64_t underflows = 0;        // callbacks PortAudio flagged with an output underflow
    int64_t resyncs = 0;           // play position jumps (a changed D, a stalled device)
  };

  // Opens the device at its default sample rate, mono (two identical channels when the device
  // takes no mono); nothing plays before start(). Throws musetalk::Error naming the device when
  // there is no output device (PortAudioSession::find), it cannot be opened, or delay_ns is
  // outside 0 .. max_delay_ns.
  VoiceOutput(VoiceOutputOptions options, int64_t delay_ns);
  ~VoiceOutput();  // stops; never throws
  VoiceOutput(const VoiceOutput&) = delete;
  VoiceOutput& operator=(const VoiceOutput&) = delete;

  // Starts playing (silence until written voice is due). Throws musetalk::Error when the device
  // does not start.
  void start();
  // Stops the device after what it holds has played. Safe to call more than once.
  void stop();

  // D, in nanoseconds, 0 .. max_delay_ns (musetalk::Error otherwise).
  void set_delay_ns(int64_t delay_ns);
  int64_t delay_ns() const;

  // count 16 kHz mono samples captured from pts_ns on (steady_clock). Returns at once: samples
  // whose time has already been played are dropped (late), as are those beyond the buffer
  // (overflow). Consecutive writes should be contiguous, as the inputs deliver them; a write
  // more than 1 ms off the previous one's end starts a new stretch of voice. Call from one
  // thread at a time (serialised internally).
  void write(int64_t pts_ns, const float* samples, size_t count);

  // Whether the device is playing: false before start(), after stop(), and once the device
  // stopped on its own (the sound server went away).
  bool active() const;

  const AudioDevice& device() const;
  int device_rate() const;   // Hz
  double latency_s() const;  // the output latency PortAudio reports for the open stream
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace musetalk::live
