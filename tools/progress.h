#pragma once
// Progress of a long job on stderr: a bar redrawn in place on a terminal (frames, fps, ETA),
// plain lines every 10% otherwise, nothing with --quiet.

#include <chrono>
#include <cstdint>
#include <string>

namespace musetalk::tools {

class Progress {
 public:
  Progress(std::string label, bool quiet);
  void update(int64_t done, int64_t total);
  void finish();  // ends the bar's line

 private:
  std::string label_;
  bool quiet_, terminal_;
  int last_decile_ = -1;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace musetalk::tools
