#pragma once
// 16-bit PCM WAV files the tests make (bursts, noise, speech stand-ins).

#include <string>
#include <vector>

namespace musetalk::test {

// Mono 16-bit PCM at rate Hz; samples in [-1, 1] (clipped).
void write_wav(const std::string& path, const std::vector<float>& samples, int rate);

}  // namespace musetalk::test
