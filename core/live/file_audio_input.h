#pragma once
// An audio file fed to a live stream as if a microphone were capturing it: decoded to 16 kHz
// mono (media::AudioReader, channels averaged) and handed over in 20 ms chunks
// (live/audio_chunk.h) at real-time pace on a stream::Clock. A chunk is handed over once the
// clock has reached the capture time of its last sample, as a microphone would; on a
// stream::ScaledClock the file therefore plays rate times faster. Torch-free.

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "live/audio_chunk.h"
#include "stream/clock.h"

namespace musetalk::media {
class AudioReader;
}

namespace musetalk::live {

class FileAudioInput {
 public:
  // 20 ms of 16 kHz samples; the file's last chunk may be shorter.
  static constexpr size_t kChunkSamples = kVoiceRate / 50;

  // Opens path now, so an unreadable file fails here: throws musetalk::Error naming path when
  // it is missing, not media, or has no audio stream (media::AudioReader). clock must outlive
  // the object. on_end runs on the feeding thread after the last chunk when the whole file was
  // fed (not after stop() or an error).
  FileAudioInput(const std::string& path, const stream::Clock& clock, AudioChunkCallback on_chunk,
                 std::function<void()> on_end = {});
  ~FileAudioInput();  // stops; never throws
  FileAudioInput(const FileAudioInput&) = delete;
  FileAudioInput& operator=(const FileAudioInput&) = delete;

  // Starts feeding on a thread; the first sample's pts is the clock's time now, and chunk k's
  // pts is that plus its first sample's index / 16000 s. Once only.
  void start();
  // Makes the thread return soon (within a chunk's time on the clock) and joins it. Safe to
  // call more than once; reports no error (wait() does).
  void stop();
  // Joins the thread (returns when the file was fed, or after stop()), then rethrows the first
  // error: a musetalk::Error naming the path when decoding failed midway, or what the chunk
  // callback threw (feeding stopped there).
  void wait();

  const std::string& path() const { return path_; }
  int64_t start_pts_ns() const { return start_pts_ns_; }
  // True once the feeding thread has ended: the whole file fed, stop() called, or an error that
  // wait() will rethrow.
  bool done() const { return done_.load(); }
  // 16 kHz samples handed over so far.
  int64_t samples_sent() const { return samples_sent_.load(); }

 private:
  void run();
  // Sleeps on the clock until t_ns in short steps; false when stop() was called meanwhile.
  bool sleep_until(int64_t t_ns);

  std::string path_;
  const stream::Clock& clock_;
  AudioChunkCallback on_chunk_;
  std::function<void()> on_end_;
  std::unique_ptr<media::AudioReader> reader_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> samples_sent_{0};
  std::atomic<bool> done_{false};
  int64_t start_pts_ns_ = 0;
  bool started_ = false;
  std::exception_ptr error_;
};

}  // namespace musetalk::live
