#pragma once
// The audio the MuseTalk Avatar source hears, handed from OBS's capture thread to the source's
// audio pump: the capture callback downmixes OBS's float planar channels to mono (their mean, as
// librosa.to_mono does for MuseTalk's audio) into a scratch block allocated up front and stores
// the blocks in a live::CaptureRing (core/live/capture_ring.h: single producer, lock-free,
// preallocated). So push() never locks, allocates or waits, whatever the pump does; when the pump
// falls a whole ring behind, the oldest blocks are overwritten and counted dropped (a bounded
// buffer: an unbounded queue makes the lag grow without end, obs-localvocal issue #229). The pump
// polls (pop() sleeps in short steps until a block is there), so push() never has to wake
// anyone. No obs.h, so it builds and tests without OBS.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "live/capture_ring.h"

namespace musetalk::obs_plugin {

// One block of captured audio, mono, as pop() hands it to the pump.
struct CapturedBlock {
  // When its last sample arrived: os_gettime_ns() (CLOCK_MONOTONIC) when the callback ran, less
  // the duration of the samples that followed it in the same callback.
  int64_t arrival_ns = 0;
  uint32_t rate = 0;           // samples per second (OBS's output rate)
  std::vector<float> samples;  // mono, at most CaptureBuffer::kBlockFrames
};

class CaptureBuffer {
 public:
  // Samples per block: OBS's audio tick (AUDIO_OUTPUT_FRAMES, media-io/audio-io.h). A longer
  // callback is stored as several blocks.
  static constexpr int kBlockFrames = 1024;
  // Blocks held before the oldest is overwritten: 2.56 s in 10 ms packets (a PulseAudio capture),
  // 5.4 s in OBS's 1024-sample ticks at 48 kHz. 1 MiB.
  static constexpr size_t kDefaultBlocks = 256;

  explicit CaptureBuffer(size_t blocks = kDefaultBlocks);
  CaptureBuffer(const CaptureBuffer&) = delete;
  CaptureBuffer& operator=(const CaptureBuffer&) = delete;

  // Producer (one thread at a time: OBS's capture callback, which runs under the audio source's
  // audio_cb_mutex). Stores the mean of `channels` planes of `frames` samples each (a null plane
  // counts as silence) as ceil(frames / kBlockFrames) blocks. Never locks, allocates or waits.
  void push(const float* const* planes, int channels, size_t frames, uint32_t rate,
            int64_t arrival_ns) noexcept;

  // Consumer (the pump thread): the oldest block not yet read, into block (its samples keep
  // their capacity). Waits up to `wait` for one, polling every 2 ms; false when none came in
  // that time, or when wake() was called.
  bool pop(CapturedBlock& block, std::chrono::milliseconds wait = std::chrono::milliseconds(0));
  // Any thread: ends the pop() waiting, or else the next one that waits, at its next poll.
  void wake() { woken_.store(true, std::memory_order_relaxed); }

  int64_t packets() const { return packets_.load(std::memory_order_relaxed); }  // callbacks
  // Blocks overwritten before the pump read them.
  int64_t dropped() const { return ring_.dropped_frames() / kBlockFrames; }

 private:
  live::CaptureRing ring_;
  std::unique_ptr<float[]> mono_;  // producer's scratch: one block
  std::atomic<uint32_t> rate_{0};  // of the blocks pushed last
  std::atomic<int64_t> packets_{0};
  std::atomic<bool> woken_{false};
};

}  // namespace musetalk::obs_plugin
