#pragma once
// How the live stream's audio inputs (microphone, file) hand over the voice: 16 kHz mono float32
// chunks, each stamped with the capture time of its first sample on the stream's clock
// (stream/clock.h), which is what the streaming session's push_audio() takes. Torch-free.

#include <cstddef>
#include <cstdint>
#include <functional>

namespace musetalk::live {

// The rate and layout every input delivers: 16 kHz mono, as Whisper and the session want it.
constexpr int kVoiceRate = 16000;
// One 16 kHz sample in nanoseconds (exact).
constexpr int64_t kVoiceSampleNs = 1000000000 / kVoiceRate;

// Called with count samples whose first one was captured at pts_ns; consecutive chunks of one
// input are contiguous (pts + count * kVoiceSampleNs is the next chunk's pts) unless the input
// itself lost time. Runs on the input's own thread, never on an audio device's callback, but it
// should stay cheap (copy the samples and return): capture waits while it runs. The samples
// are valid only during the call.
using AudioChunkCallback = std::function<void(int64_t pts_ns, const float* samples, size_t count)>;

}  // namespace musetalk::live
