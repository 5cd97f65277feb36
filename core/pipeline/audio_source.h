#pragma once
// Where render() reads its audio: 16 kHz mono float samples pulled a piece at a time, so that a
// clip of any length is never held whole (a file source decodes as it goes,
// adapters/file_adapters.h). Torch-free.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace musetalk::pipeline {

class AudioSource {
 public:
  virtual ~AudioSource() = default;
  // Writes up to max (> 0) samples of 16 kHz mono float audio to out and returns how many; 0
  // once the audio has ended (and on every later call). Errors are thrown (musetalk::Error
  // naming the file for a file source).
  virtual size_t read(float* out, size_t max) = 0;
  // The clip's length in samples when known ahead (measured, or estimated from a container's
  // duration), else 0. Only for progress totals until the end has been read.
  virtual int64_t expected_samples() const { return 0; }
};

// Samples already in memory (tests, short clips). The vector must outlive the source.
class MemoryAudioSource : public AudioSource {
 public:
  explicit MemoryAudioSource(const std::vector<float>& samples) : samples_(samples) {}
  size_t read(float* out, size_t max) override {
    const size_t n = std::min(max, samples_.size() - at_);
    if (n > 0) std::memcpy(out, samples_.data() + at_, n * sizeof(float));
    at_ += n;
    return n;
  }
  int64_t expected_samples() const override { return static_cast<int64_t>(samples_.size()); }

 private:
  const std::vector<float>& samples_;
  size_t at_ = 0;
};

}  // namespace musetalk::pipeline
