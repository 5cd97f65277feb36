#pragma once
// The sound devices of a live stream, through PortAudio (Debian's portaudio19-dev): a session
// that keeps PortAudio initialised while it lives, the device list `musetalk stream
// --list-devices` prints, and finding the device an option names. On Linux PortAudio reaches a
// sound server (PulseAudio, PipeWire) through ALSA's "pulse" and "default" devices; without one
// it usually lists no device at all. Torch-free (musetalk_live).

#include <mutex>
#include <string>
#include <vector>

namespace musetalk::live {

struct AudioDevice {
  int index = -1;        // PortAudio's device index, valid while a PortAudioSession is open
  std::string name;      // e.g. "pulse", "default", "HDA Intel PCH: ALC257 Analog (hw:0,0)"
  std::string host_api;  // e.g. "ALSA", "OSS"
  int max_input_channels = 0;
  int max_output_channels = 0;
  double default_sample_rate = 0;  // Hz
  bool default_input = false;      // PortAudio's default input device
  bool default_output = false;     // PortAudio's default output device
};

enum class AudioDirection { Input, Output };

// PortAudio initialised for the lifetime of the object (Pa_Initialize / Pa_Terminate; PortAudio
// counts them, so sessions nest and every stream owner keeps its own). The device list is the
// one PortAudio built when the first live session started: a sound server started later is
// seen once every session has ended.
//
// Probing the devices makes ALSA and JACK print dozens of lines on stderr when no server runs;
// the session keeps them off the terminal (ALSA's error handler is silenced for the process, and
// stderr is redirected while Pa_Initialize runs) and keeps them in startup_messages().
class PortAudioSession {
 public:
  // Throws musetalk::Error when PortAudio cannot initialise.
  PortAudioSession();
  ~PortAudioSession();
  PortAudioSession(const PortAudioSession&) = delete;
  PortAudioSession& operator=(const PortAudioSession&) = delete;

  // Every device of every host API, in PortAudio's order.
  std::vector<AudioDevice> devices() const;

  // The device spec names: "default" (PortAudio's default device for direction), a decimal
  // index from devices(), or a device's exact name. Throws musetalk::Error naming spec when
  // there is no such device, or when it has no channel in that direction; the fix says how to
  // get one (start a sound server, pick from --list-devices, or stream a file instead).
  AudioDevice find(const std::string& spec, AudioDirection direction) const;

  // What PortAudio's back ends printed while this process initialised PortAudio (empty when
  // this session joined one already running).
  const std::string& startup_messages() const { return startup_messages_; }

  // Held around the PortAudio calls that change its global state (initialise, terminate, open
  // and close a stream), which PortAudio does not guard itself.
  static std::mutex& api_mutex();

 private:
  std::string startup_messages_;
};

// The device list as --list-devices prints it: one line per device with its index, name, host
// API, input/output channels and default rate, the defaults marked; or a line saying that no
// device was found and how to get one.
std::string format_device_list(const std::vector<AudioDevice>& devices);

// The fix the errors give when there is no input device at all.
extern const char* const kNoInputDeviceFix;

}  // namespace musetalk::live
