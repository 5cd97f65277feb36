#pragma once
// The threads of a pipeline's stages: the first exception any of them throws is kept, every
// stage is told to stop, and all are joined before the owner returns or rethrows.

#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace musetalk::pipeline {

class StageThreads {
 public:
  // stop_all: makes every stage return soon (set a flag, close the queues). Called on the first
  // failure and before joining.
  explicit StageThreads(std::function<void()> stop_all) : stop_all_(std::move(stop_all)) {}
  ~StageThreads() { stop_and_join(); }
  StageThreads(const StageThreads&) = delete;
  StageThreads& operator=(const StageThreads&) = delete;

  void start(std::function<void()> body) {
    threads_.emplace_back([this, body = std::move(body)] {
      try {
        body();
      } catch (...) {
        fail(std::current_exception());
      }
    });
  }

  void fail(std::exception_ptr error) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = error;
    }
    stop_all_();
  }

  void stop_and_join() {
    stop_all_();
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  // After stop_and_join(): rethrows the first failure, if any.
  void rethrow() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::function<void()> stop_all_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::exception_ptr error_;
};

}  // namespace musetalk::pipeline
