#pragma once
// Wall-clock time of one avatar-creation stage (CreateSummary::seconds), in seconds.

#include <chrono>

namespace musetalk::create {

class StageTimer {
 public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace musetalk::create
