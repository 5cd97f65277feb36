#include "live/audio_devices.h"

#include <alsa/asoundlib.h>
#include <portaudio.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "files/error.h"

namespace musetalk::live {

const char* const kNoInputDeviceFix =
    "start PulseAudio or PipeWire, pass --input mic:NAME from --list-devices, or stream a file "
    "with --input FILE";

namespace {

const char* const kNoOutputDeviceFix =
    "start PulseAudio or PipeWire, name an output device from --list-devices, or play no voice "
    "(none)";

// ALSA's default handler prints every failed probe ("cannot find card '0'", ...) on stderr; the
// PortAudio ALSA host API probes every configured PCM. snd_lib_error_set_handler (alsa-lib,
// include/error.h) replaces it for the whole process.
void quiet_alsa_handler(const char*, int, const char*, int, const char*, ...) {}

// Runs fn with file descriptor 2 pointing at a temporary file and returns what was written
// there: libjack (loaded by ALSA's "jack" PCM while PortAudio probes it) prints straight to
// stderr with no handler to replace. Runs fn unredirected when the descriptors cannot be set up.
template <typename Fn>
std::string capture_stderr(Fn fn) {
  std::fflush(stderr);
  FILE* sink = std::tmpfile();
  int saved = sink ? dup(STDERR_FILENO) : -1;
  if (saved < 0 || dup2(fileno(sink), STDERR_FILENO) < 0) {
    if (saved >= 0) close(saved);
    if (sink) std::fclose(sink);
    fn();
    return {};
  }
  fn();
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::string text;
  std::rewind(sink);
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, sink)) > 0) text.append(buffer, n);
  std::fclose(sink);
  return text;
}

AudioDevice describe(int index) {
  const PaDeviceInfo* info = Pa_GetDeviceInfo(index);
  AudioDevice device;
  device.index = index;
  if (!info) return device;
  device.name = info->name ? info->name : "";
  const PaHostApiInfo* api = Pa_GetHostApiInfo(info->hostApi);
  device.host_api = api && api->name ? api->name : "?";
  device.max_input_channels = info->maxInputChannels;
  device.max_output_channels = info->maxOutputChannels;
  device.default_sample_rate = info->defaultSampleRate;
  device.default_input = index == Pa_GetDefaultInputDevice();
  device.default_output = index == Pa_GetDefaultOutputDevice();
  return device;
}

bool is_index(const std::string& spec) {
  if (spec.empty() || spec.size() > 6) return false;
  for (char c : spec) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::mutex& PortAudioSession::api_mutex() {
  static std::mutex mutex;
  return mutex;
}

PortAudioSession::PortAudioSession() {
  std::lock_guard<std::mutex> lock(api_mutex());
  snd_lib_error_set_handler(quiet_alsa_handler);
  PaError rc = paNoError;
  startup_messages_ = capture_stderr([&] { rc = Pa_Initialize(); });
  if (rc != paNoError)
    throw Error("PortAudio", std::string("cannot initialise audio (") + Pa_GetErrorText(rc) + ")",
                "check that the sound libraries are installed (./dev installs portaudio19-dev and "
                "libasound2-plugins)");
}

PortAudioSession::~PortAudioSession() {
  std::lock_guard<std::mutex> lock(api_mutex());
  Pa_Terminate();
}

std::vector<AudioDevice> PortAudioSession::devices() const {
  std::vector<AudioDevice> list;
  int count = Pa_GetDeviceCount();
  for (int i = 0; i < count; ++i) list.push_back(describe(i));
  return list;
}

AudioDevice PortAudioSession::find(const std::string& spec, AudioDirection direction) const {
  bool input = direction == AudioDirection::Input;
  const char* kind = input ? "audio input device" : "audio output device";
  const char* fix = input ? kNoInputDeviceFix : kNoOutputDeviceFix;
  std::string what = std::string(kind) + " \"" + spec + "\"";
  int count = Pa_GetDeviceCount();
  if (count <= 0) throw Error(what, "no audio device found (is a sound server running?)", fix);

  int index = -1;
  if (spec == "default") {
    index = input ? Pa_GetDefaultInputDevice() : Pa_GetDefaultOutputDevice();
    if (index == paNoDevice)
      throw Error(what, input ? "no default audio input" : "no default audio output", fix);
  } else if (is_index(spec)) {
    index = std::stoi(spec);
    if (index >= count)
      throw Error(what, "no device with that index (there are " + std::to_string(count) + ")",
                  "pick a device from --list-devices");
  } else {
    for (int i = 0; i < count && index < 0; ++i) {
      const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
      if (info && info->name && spec == info->name) index = i;
    }
    if (index < 0)
      throw Error(what, "no device with that name",
                  "pick a device from --list-devices (the name must match exactly)");
  }
  AudioDevice device = describe(index);
  int channels = input ? device.max_input_channels : device.max_output_channels;
  if (channels <= 0)
    throw Error(
        what,
        std::string("\"") + device.name + "\" has no " + (input ? "input" : "output") + " channel",
        fix);
  return device;
}

std::string format_device_list(const std::vector<AudioDevice>& devices) {
  std::ostringstream out;
  if (devices.empty()) {
    out << "no audio devices found\n  fix: " << kNoInputDeviceFix << "\n";
    return out.str();
  }
  for (const AudioDevice& d : devices) {
    out << d.index << ": " << d.name << " (" << d.host_api << ")  in " << d.max_input_channels
        << ", out " << d.max_output_channels << ", " << static_cast<long>(d.default_sample_rate)
        << " Hz";
    if (d.default_input) out << "  [default input]";
    if (d.default_output) out << "  [default output]";
    out << "\n";
  }
  return out.str();
}

}  // namespace musetalk::live
