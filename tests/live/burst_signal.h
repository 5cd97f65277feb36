#pragma once
// The test signal of the audio-timing tests: short tone bursts at known times, found again in
// recordings by their onsets.

#include <cstdint>
#include <string>
#include <vector>

namespace musetalk::test {

struct BurstPattern {
  double first_s = 0.25;  // the first burst's start
  double period_s = 0.5;  // from one burst's start to the next
  int count = 6;
  double length_s = 0.01;  // a 1 kHz tone of amplitude 0.5
};

// Mono samples at rate Hz: silence with the pattern's bursts, ending one period after the last.
std::vector<float> burst_signal(const BurstPattern& pattern, int rate);

// Indices (in frames of `stride` interleaved channels) where a burst begins in `channel`: |x|
// above 0.1 after at least 100 ms below.
std::vector<int64_t> burst_onsets(const std::vector<float>& x, int rate, int stride = 1,
                                  int channel = 0);

// A raw float32 file (parec --format=float32le), whole.
std::vector<float> read_float32_file(const std::string& path);

}  // namespace musetalk::test
