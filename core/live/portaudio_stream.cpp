#include "live/portaudio_stream.h"

#include <cmath>
#include <mutex>

#include "files/error.h"

namespace musetalk::live {
namespace {

const char* device_fix(AudioDirection direction) {
  return direction == AudioDirection::Input
             ? "check that the sound server runs, or pick another input device from "
               "--list-devices"
             : "check that the sound server runs, or pick another output device from "
               "--list-devices";
}

PaStreamParameters float_parameters(const AudioDevice& device, int channels, double latency_s) {
  PaStreamParameters params{};
  params.device = device.index;
  params.channelCount = channels;
  params.sampleFormat = paFloat32;
  params.suggestedLatency = latency_s;
  return params;
}

}  // namespace

std::string audio_device_what(const AudioDevice& device, AudioDirection direction) {
  return std::string(direction == AudioDirection::Input ? "audio input device"
                                                        : "audio output device") +
         " \"" + device.name + "\"";
}

AudioFormat find_float_format(const AudioDevice& device, AudioDirection direction, double latency_s,
                              std::initializer_list<int> channel_counts,
                              std::initializer_list<double> rates) {
  const bool input = direction == AudioDirection::Input;
  const int max_channels = input ? device.max_input_channels : device.max_output_channels;
  PaError rc = paInvalidSampleRate;
  for (int channels : channel_counts) {
    if (channels > max_channels) break;
    PaStreamParameters params = float_parameters(device, channels, latency_s);
    for (double candidate : rates) {
      if (candidate <= 0) continue;
      rc = input ? Pa_IsFormatSupported(&params, nullptr, candidate)
                 : Pa_IsFormatSupported(nullptr, &params, candidate);
      if (rc == paFormatIsSupported) return {channels, static_cast<int>(std::lround(candidate))};
    }
  }
  throw Error(audio_device_what(device, direction),
              std::string(input ? "cannot capture float samples from it ("
                                : "cannot play float samples on it (") +
                  Pa_GetErrorText(rc) + ")",
              input ? "pick another input device from --list-devices"
                    : "pick another output device from --list-devices");
}

PortAudioStream::~PortAudioStream() {
  if (!stream_) return;
  std::lock_guard<std::mutex> lock(PortAudioSession::api_mutex());
  Pa_CloseStream(stream_);
}

void PortAudioStream::open(const AudioDevice& device, AudioDirection direction, AudioFormat format,
                           double latency_s, unsigned long frames_per_buffer,
                           PaStreamCallback* callback, void* user) {
  const bool input = direction == AudioDirection::Input;
  direction_ = direction;
  what_ = audio_device_what(device, direction);
  PaStreamParameters params = float_parameters(device, format.channels, latency_s);
  PaError rc;
  {
    std::lock_guard<std::mutex> lock(PortAudioSession::api_mutex());
    rc = Pa_OpenStream(&stream_, input ? &params : nullptr, input ? nullptr : &params, format.rate,
                       frames_per_buffer, paNoFlag, callback, user);
  }
  if (rc != paNoError) {
    stream_ = nullptr;
    throw Error(what_,
                std::string("cannot open it for ") + (input ? "capture" : "playback") + " at " +
                    std::to_string(format.rate) + " Hz (" + Pa_GetErrorText(rc) + ")",
                device_fix(direction));
  }
  const PaStreamInfo* info = Pa_GetStreamInfo(stream_);
  latency_s_ = info ? (input ? info->inputLatency : info->outputLatency) : latency_s;
}

void PortAudioStream::start() {
  PaError rc = Pa_StartStream(stream_);
  if (rc != paNoError)
    throw Error(what_,
                std::string(direction_ == AudioDirection::Input ? "cannot start capturing ("
                                                                : "cannot start playing (") +
                    Pa_GetErrorText(rc) + ")",
                device_fix(direction_));
}

void PortAudioStream::stop() {
  if (Pa_IsStreamStopped(stream_) == 0) Pa_StopStream(stream_);
}

bool PortAudioStream::active() const {
  return Pa_IsStreamActive(stream_) == 1;
}

}  // namespace musetalk::live
