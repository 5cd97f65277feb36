#pragma once
// A private PulseAudio server for the audio tests: user-space, no sound card needed, torn down
// with the object. PortAudio reaches it through ALSA's pulse plugin (libasound2-plugins) as the
// "pulse" and "default" devices.
//
// Its sinks: "both", a 48 kHz stereo null sink, and two mono sinks remapped onto its channels
// (module-remap-sink): "fakemic" onto the left, "voice" onto the right. A test plays a file into
// fakemic (the fake microphone: capture fakemic.monitor), the engine plays into voice, and one
// recording of both.monitor holds both, sample-aligned, so a delay between them can be measured
// exactly. Defaults: sink "voice", source "fakemic.monitor". A low-latency recorder is kept on
// both.monitor: an idle null sink runs with 2 s of latency and would swallow the first second.

#include <sys/types.h>

#include <string>
#include <vector>

#include "test_support.h"

namespace musetalk::test {

class PulseServer {
 public:
  // What is missing to run one ("pulseaudio (Debian package pulseaudio)", ...), or empty.
  static std::string missing_tools();

  // Starts the server and points this process (PULSE_SERVER, PULSE_RUNTIME_PATH, PULSE_SINK,
  // PULSE_SOURCE) and its children at it. Throws std::runtime_error with the server's log when
  // it does not come up within 10 s.
  PulseServer();
  // Stops every process it started, restores the environment, removes its folder.
  ~PulseServer();
  PulseServer(const PulseServer&) = delete;
  PulseServer& operator=(const PulseServer&) = delete;

  const std::string& socket_path() const { return socket_; }

  // Runs argv (with the server's environment) to completion; returns its exit status.
  int run(const std::vector<std::string>& argv, std::string* output = nullptr) const;
  // Starts argv in the background, its stdout written to stdout_path (or /dev/null); stop()
  // ends it. Returns its process id.
  pid_t spawn(const std::vector<std::string>& argv, const std::string& stdout_path = {});
  // Ends a process spawn() started (SIGINT, then SIGKILL after 2 s) and reaps it.
  void stop(pid_t pid);

  // The server's log so far.
  std::string log() const;

 private:
  void start();
  void shutdown();

  TempDir dir_;
  std::string socket_;
  pid_t daemon_ = -1;
  std::vector<pid_t> children_;
  std::vector<std::pair<std::string, std::string>> saved_env_;  // name, value ("\1": unset)
};

}  // namespace musetalk::test
