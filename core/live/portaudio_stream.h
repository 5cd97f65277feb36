#pragma once
// A PortAudio callback stream of float32 samples as the live stream's microphone
// (live/mic_input.h) and voice output (live/voice_output.h) open it: the first channel count and
// sample rate the device takes, the stream opened and closed under
// PortAudioSession::api_mutex(), started and stopped; every failure a musetalk::Error naming the
// device with the fix for its direction. Internal to musetalk_live. Torch-free.

#include <portaudio.h>

#include <initializer_list>
#include <string>

#include "live/audio_devices.h"

namespace musetalk::live {

// The device as the errors of its stream name it: audio input device "NAME" (or output).
std::string audio_device_what(const AudioDevice& device, AudioDirection direction);

struct AudioFormat {
  int channels = 0;
  int rate = 0;  // Hz
};

// The first of channel_counts (tried in order, up to the device's maximum in direction) with the
// first of rates (Hz; those <= 0 are skipped) at which PortAudio's Pa_IsFormatSupported takes
// float32 samples at the suggested latency_s. Throws musetalk::Error naming the device, with
// PortAudio's reason, when none is taken; the fix is to pick another device from --list-devices.
AudioFormat find_float_format(const AudioDevice& device, AudioDirection direction, double latency_s,
                              std::initializer_list<int> channel_counts,
                              std::initializer_list<double> rates);

// An open stream; closed (under PortAudioSession::api_mutex(), PortAudio aborting it if it still
// runs) when the object goes. The owner keeps a PortAudioSession alive longer than this and
// everything the callback reads.
class PortAudioStream {
 public:
  PortAudioStream() = default;
  ~PortAudioStream();
  PortAudioStream(const PortAudioStream&) = delete;
  PortAudioStream& operator=(const PortAudioStream&) = delete;

  // Opens device in direction for format's channels and rate, float32 samples interleaved,
  // frames_per_buffer frames per callback (paFramesPerBufferUnspecified: the host's choice),
  // PortAudio's suggested latency latency_s; callback(..., user) runs on PortAudio's thread once
  // started. Throws musetalk::Error naming the device when PortAudio cannot open it (the fix:
  // check the sound server, or pick another device from --list-devices). Call once.
  void open(const AudioDevice& device, AudioDirection direction, AudioFormat format,
            double latency_s, unsigned long frames_per_buffer, PaStreamCallback* callback,
            void* user);

  // Pa_StartStream. Throws musetalk::Error naming the device when it does not start.
  void start();
  // Pa_StopStream (what the device holds plays out), unless the stream is stopped already.
  void stop();
  // Whether PortAudio runs the stream (false once it stopped on its own).
  bool active() const;

  PaStream* get() const { return stream_; }
  // The latency PortAudio reports for the open stream in its direction, in seconds; the
  // suggested one when it reports none.
  double latency_s() const { return latency_s_; }

 private:
  PaStream* stream_ = nullptr;
  AudioDirection direction_ = AudioDirection::Input;
  std::string what_;
  double latency_s_ = 0;
};

}  // namespace musetalk::live
