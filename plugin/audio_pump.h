#pragma once
// The MuseTalk Avatar source's audio pump: a thread that drains the capture buffer
// (capture_buffer.h), resamples it to 16 kHz mono (voice_resampler.h) and pushes it into the
// stream session the worker attached, stamped by arrival on the session's clock (a gap, as from a
// removed or paused audio source, then reads as silence in the session's ring). Without a session
// (the source hidden, loading or failed) it drains and drops the audio; without captured audio
// for 200 ms (no audio source, a stopped one) it feeds silence, so the session keeps showing idle
// frames.

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "capture_buffer.h"

namespace musetalk::stream {
class StreamSession;
}  // namespace musetalk::stream

namespace musetalk::obs_plugin {

class AudioPump {
 public:
  // capture: where the audio arrives (outlives the pump); on_error: called on the pump thread
  // with the message of a failure (libobs cannot resample the audio, or the thread body threw
  // and starts over). Starts the thread.
  AudioPump(CaptureBuffer& capture, std::function<void(const std::string&)> on_error);
  // Stops and joins the thread (within one 20 ms wait).
  ~AudioPump();
  AudioPump(const AudioPump&) = delete;
  AudioPump& operator=(const AudioPump&) = delete;

  // The session the audio goes to from now on, its timeline starting at the present; nullptr for
  // none. Once it returns, the pump no longer touches the previous session. Any thread.
  void attach(stream::StreamSession* session);

 private:
  void run();  // the thread body

  CaptureBuffer& capture_;
  std::function<void(const std::string&)> on_error_;
  std::atomic<bool> quit_{false};
  std::mutex mutex_;  // the pump pushes into session_ only under it
  stream::StreamSession* session_ = nullptr;
  uint64_t serial_ = 0;  // counts attach() calls: a new session may reuse the old one's address
  std::thread thread_;
};

}  // namespace musetalk::obs_plugin
