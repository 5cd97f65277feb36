#include "burst_signal.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

namespace musetalk::test {

std::vector<float> burst_signal(const BurstPattern& pattern, int rate) {
  const double total_s = pattern.first_s + pattern.period_s * pattern.count;
  std::vector<float> s(static_cast<size_t>(total_s * rate), 0.0f);
  for (int b = 0; b < pattern.count; ++b) {
    const auto start = static_cast<size_t>((pattern.first_s + b * pattern.period_s) * rate);
    for (int i = 0; i < static_cast<int>(pattern.length_s * rate); ++i) {
      s[start + i] = 0.5f * static_cast<float>(std::sin(2 * M_PI * 1000.0 * i / rate));
    }
  }
  return s;
}

std::vector<int64_t> burst_onsets(const std::vector<float>& x, int rate, int stride, int channel) {
  std::vector<int64_t> found;
  const int64_t quiet_needed = rate / 10;
  int64_t quiet = quiet_needed;
  const int64_t frames = static_cast<int64_t>(x.size()) / stride;
  for (int64_t i = 0; i < frames; ++i) {
    if (std::fabs(x[static_cast<size_t>(i * stride + channel)]) > 0.1f) {
      if (quiet >= quiet_needed) found.push_back(i);
      quiet = 0;
    } else {
      ++quiet;
    }
  }
  return found;
}

std::vector<float> read_float32_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  std::vector<float> x(bytes.size() / 4);
  std::memcpy(x.data(), bytes.data(), x.size() * 4);
  return x;
}

}  // namespace musetalk::test
